//! rustc's standard error while it runs: the metadata notification goes
//! to cargo at once, the diagnostics are held.
//!
//! Why: cargo starts the crates that depend on a library as soon as rustc
//! says the library's `.rmeta` is written (a `{"$message_type":"artifact",
//! "artifact":".../libfoo.rmeta",...}` line on standard error, asked for
//! with `--json=artifacts`): that is pipelining. The wrapper reads rustc's
//! standard error to decide what to do; holding all of it until rustc
//! exits would start those crates only after rustc's code generation and
//! cinline's. The diagnostics stay held, because a failed build with
//! cinline is built again as cargo asked, and that run shows them.
//!
//! cargo must hear of a crate's metadata once: its job queue marks each
//! dependency edge done when it does (`JobState::rmeta_produced` "should
//! only be called once because a metadata file can only be produced
//! once"), and a second notice for a crate another library depends on
//! panics cargo 1.95 (`dependency_queue.rs:190`, tried with a wrapper
//! that repeats the line). So once a notice has gone out, a run of rustc
//! that follows in this process (the fallback) has its notices dropped
//! ([`status_without_notices`]). That run writes the same metadata, with
//! the same crate hash, only when cinline's changes to the command line
//! are outside the crate hash: `--emit` and `-C linker` are, `-C lto` and
//! `-C linker-plugin-lto` are not. So the caller sends the notice early
//! only for the crates whose command line cinline changes in those ways,
//! not for the libraries whose code it generates itself (their notice
//! comes when cinline's part is done, as before).
//!
//! A wrapper that runs in a supervised worker (`crate::supervise`) prints
//! the notice to a pipe its supervisor reads: the supervisor passes it on
//! as it comes ([`forward_notice`]), and holds the rest.
//!
//! What it gains is what cinline does after rustc for such a library: on
//! rustc 1.95 an optimized crate's `.rmeta` is written near the end of its
//! code generation anyway, and a binary waits for its libraries' `.rlib`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether this process has told cargo that a crate's metadata is written.
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// Whether a metadata notice went to cargo from this process.
pub(super) fn announced() -> bool {
    ANNOUNCED.load(Ordering::SeqCst)
}

/// Passes `line` (one line of a worker's standard error) to this
/// process's standard error at once if it is a metadata notice, and
/// remembers that one went out (a fallback after the worker died then drops
/// its own); false for any other line. The supervisor of a cargo wrapper
/// holds the rest of what its worker prints until the worker ends
/// (`supervise::Streams::Buffered`), which would hold the notice too.
pub(crate) fn forward_notice(line: &[u8]) -> bool {
    if !is_metadata_notice(line) {
        return false;
    }
    let mut err = io::stderr().lock();
    if err.write_all(line).and_then(|()| err.flush()).is_ok() {
        ANNOUNCED.store(true, Ordering::SeqCst);
    }
    true
}

/// Whether `line` (one line of rustc's standard error, newline included)
/// is the notice cargo reads as "the `.rmeta` is written": an artifact
/// message whose file ends in `.rmeta`, as cargo's `on_stderr_line` tests.
fn is_metadata_notice(line: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Notice {
        #[serde(rename = "$message_type")]
        message_type: String,
        artifact: String,
    }
    // Most lines are diagnostics: a cheap test first.
    line.starts_with(b"{\"$message_type\":\"artifact\"")
        && serde_json::from_slice::<Notice>(line)
            .is_ok_and(|n| n.message_type == "artifact" && n.artifact.ends_with(".rmeta"))
}

/// Reads `from` line by line: metadata notices go to `notices` as they
/// come, everything else to `rest`.
fn split(from: impl Read, notices: &mut dyn Write, rest: &mut dyn Write) -> io::Result<bool> {
    let mut from = BufReader::new(from);
    let mut line = Vec::new();
    let mut any = false;
    loop {
        line.clear();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(any);
        }
        if is_metadata_notice(&line) {
            notices.write_all(&line)?;
            notices.flush()?;
            any = true;
        } else {
            rest.write_all(&line)?;
        }
    }
}

/// Runs `cmd` as [`Command::output`] does, except that with `early` each
/// metadata notice rustc prints goes to this process's standard error at
/// once (and is not in the output's `stderr`). `meanwhile` runs once the
/// child has started, before its output is read (it waits in the pipes):
/// it must be short.
pub(super) fn output(
    cmd: &mut Command,
    early: bool,
    meanwhile: impl FnOnce(),
) -> io::Result<Output> {
    if !early {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        meanwhile();
        return child.wait_with_output();
    }
    // As `Command::output` does: no standard input.
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    meanwhile();
    let (mut out, err) = match (child.stdout.take(), child.stderr.take()) {
        (Some(out), Some(err)) => (out, err),
        _ => return Err(io::Error::other("rustc's output pipes are missing")),
    };
    // rustc writes little to standard output (`--print`), but a full pipe
    // would stop it: read it beside.
    let stdout = std::thread::spawn(move || {
        let mut data = Vec::new();
        out.read_to_end(&mut data).map(|_| data)
    });
    let mut stderr = Vec::new();
    let split = split(err, &mut io::stderr().lock(), &mut stderr);
    let status = child.wait()?;
    let stdout = stdout.join().unwrap_or_else(|_| Ok(Vec::new()))?;
    if split? {
        ANNOUNCED.store(true, Ordering::SeqCst);
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Runs `cmd` as [`Command::status`] does, except that the metadata notices
/// it prints are dropped: cargo heard of the crate's metadata already.
pub(super) fn status_without_notices(cmd: &mut Command) -> io::Result<ExitStatus> {
    let mut child = cmd.stderr(Stdio::piped()).spawn()?;
    let err = child.stderr.take();
    let copied = match err {
        Some(err) => split(err, &mut io::sink(), &mut io::stderr().lock()).map(|_| ()),
        None => Ok(()),
    };
    let status = child.wait()?;
    copied?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTICE: &str =
        r#"{"$message_type":"artifact","artifact":"/t/deps/libm-1.rmeta","emit":"metadata"}"#;

    #[test]
    fn only_the_metadata_notice_is_told_apart() {
        assert!(is_metadata_notice(format!("{NOTICE}\n").as_bytes()));
        let link = r#"{"$message_type":"artifact","artifact":"/t/deps/libm-1.rlib","emit":"link"}"#;
        assert!(!is_metadata_notice(link.as_bytes()));
        let diagnostic =
            r#"{"$message_type":"diagnostic","message":"unused variable: `artifact.rmeta`"}"#;
        assert!(!is_metadata_notice(diagnostic.as_bytes()));
        assert!(!is_metadata_notice(b"warning: unused variable\n"));
    }

    #[test]
    fn a_real_process_s_notice_is_split_from_its_diagnostics_in_order() {
        // The shell as rustc: a diagnostic, the notice, more diagnostics,
        // the last line without a newline.
        let script = format!("printf 'w1\\n%s\\nw2\\nw3' '{NOTICE}' >&2");
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (mut notices, mut rest) = (Vec::new(), Vec::new());
        let any = split(child.stderr.take().unwrap(), &mut notices, &mut rest).unwrap();
        assert!(child.wait().unwrap().success());
        assert!(any);
        assert_eq!(String::from_utf8(notices).unwrap(), format!("{NOTICE}\n"));
        assert_eq!(String::from_utf8(rest).unwrap(), "w1\nw2\nw3");
    }
}
