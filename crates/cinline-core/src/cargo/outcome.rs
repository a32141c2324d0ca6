//! How the rustc and linker wrappers end: an exit code and the lines
//! cinline has to tell the user. The library decides them; the binary
//! prints them (`cinline: warning: ...` is never written from deep inside a
//! step, so every message can be seen, tested and ordered in one place).

use std::fmt;
use std::process::ExitCode;

/// How serious a [`Message`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Level {
    /// The build fails because of it.
    Error,
    /// The build goes on; something was left undone.
    Warning,
}

/// One line for the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// How serious.
    pub level: Level,
    /// What to say (without the `error: cinline: ` prefix).
    pub text: String,
}

/// Written as cargo writes its own: `warning: cinline: crate `x`: ...`.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: cinline: {}", self.text)
    }
}

/// The exit code of a wrapper run and what it has to say.
#[derive(Debug)]
#[must_use]
pub struct Outcome {
    /// The process's exit code (rustc's or the linker's, passed through, or
    /// 1 for cinline's own failure).
    pub code: ExitCode,
    /// What to print on stderr, in order.
    pub messages: Vec<Message>,
}

impl Outcome {
    /// Ends with `code`, nothing to say.
    pub fn exit(code: ExitCode) -> Outcome {
        Outcome {
            code,
            messages: Vec::new(),
        }
    }

    /// cinline's own failure: exit code 1 and one error line.
    pub fn failed(text: impl Into<String>) -> Outcome {
        let mut outcome = Outcome::exit(ExitCode::from(1));
        outcome.say(Level::Error, text);
        outcome
    }

    /// Under `CINLINE_STRICT`: a crate whose helpers were not all inlined
    /// fails, `what` saying what was left and why.
    pub fn strict_failure(crate_name: &str, what: &str) -> Outcome {
        Outcome::failed(strict_text(crate_name, what))
    }

    /// Adds a line.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.messages.push(Message {
            level,
            text: text.into(),
        });
    }

    /// Whether the exit code is success.
    pub fn success(&self) -> bool {
        self.code == ExitCode::SUCCESS
    }
}

/// The text of a strict-mode error for `crate_name`.
pub(crate) fn strict_text(crate_name: &str, what: &str) -> String {
    format!(
        "crate `{crate_name}`: {what} ({} is set)",
        crate::env::STRICT.name
    )
}
