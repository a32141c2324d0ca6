//! A binary's link, prepared while rustc compiles it.
//!
//! rustc calls its linker (cinline, `linker.rs`) at the very end of a
//! binary's build. Without help, that linker then starts a supervised
//! worker, which loads rustc's libLLVM and reads the helper manifests
//! before it can generate anything, and which must end (unmapping libLLVM)
//! before rustc goes on: about 7 ms on the critical path of every binary.
//!
//! So the rustc wrapper of a binary whose code cinline generates
//! ([`super::own_codegen::Once::Linked`]) starts that process itself, with
//! rustc: the *link server* ([`Server::start`]). It loads libLLVM and the
//! manifests while rustc compiles, then waits on a Unix socket. The
//! linker rustc calls only connects, sends its arguments ([`ask`]), gets
//! back the link line with the generated objects (written into the
//! server's directory, which the wrapper keeps until rustc is done), and
//! runs the real linker itself. The server ends once it has answered,
//! while the real link runs.
//!
//! Crash containment is kept: the server runs as a supervised worker does
//! (its files named in its scratch directory, ended if the wrapper dies),
//! and a server that cannot be reached, or dies before it answers, is
//! only a lost head start: the linker then does the work in its own
//! supervised worker, as without a server, and a crash there is handled
//! as before.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::outcome::Message;
use super::{env_keys, linker, log, Outcome};
use crate::getenv;

/// What the server answers the linker.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Reply {
    /// The real linker's arguments (bytes: paths need not be UTF-8); `None`
    /// if the link fails without it.
    link: Option<Vec<Vec<u8>>>,
    /// Why the link fails (exit code 1), when it does.
    messages: Vec<Message>,
}

/// A link server of the rustc wrapper: its socket, bound before rustc
/// starts, and the server process, started once rustc runs (so that the
/// server's own start, on a busy machine, never delays rustc's). Stopped
/// (if it still runs) and its directory removed when dropped, once rustc
/// is done.
pub(super) struct Server {
    socket: PathBuf,
    /// Until the server process takes it over.
    listener: Option<UnixListener>,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Server {
    /// A socket for the linker to connect to; `None` if there can be none
    /// (the linker then does the work).
    pub(super) fn bind() -> Option<Server> {
        let dir = tempfile::Builder::new()
            .prefix("cinline-link-")
            .tempdir()
            .ok()?;
        // Short: a socket path has at most 107 bytes.
        let socket = dir.path().join("s");
        let listener = UnixListener::bind(&socket).ok()?;
        Some(Server {
            socket,
            listener: Some(listener),
            child: None,
            dir,
        })
    }

    /// The socket the linker connects to.
    pub(super) fn socket(&self) -> &Path {
        &self.socket
    }

    /// Starts the server process with `env`, the variables the linker
    /// gets. The listening socket is its standard input: a linker that
    /// connects before the server accepts waits in the socket's queue, and
    /// one that connects when no server could start, or after it died, is
    /// refused (nothing else holds the socket open).
    pub(super) fn start(&mut self, env: &[(&str, OsString)]) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        let worker = self.dir.path().join("worker");
        let Ok(me) = std::env::current_exe() else {
            return;
        };
        if std::fs::create_dir(&worker).is_err() {
            return;
        }
        let stderr = match crate::env::log_target() {
            Some(crate::env::LogTarget::Stderr) => Stdio::inherit(),
            _ => Stdio::null(),
        };
        self.child = Command::new(me)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(env_keys::LINK_SERVER, self.dir.path())
            .env(env_keys::WORKER, &worker)
            .stdin(Stdio::from(OwnedFd::from(listener)))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .ok();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // Still waiting when rustc failed before linking.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// In the server: prepares, answers one linker, ends.
pub(super) fn serve() -> Outcome {
    let Some(dir) = getenv(env_keys::LINK_SERVER).map(PathBuf::from) else {
        return Outcome::failed("the link server has no directory");
    };
    let context = linker::load(true);
    log(|| "link server ready".into());
    let answered = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(UnixListener::from)
        .and_then(|listener| listener.accept())
        .and_then(|(mut stream, _)| {
            let mut request = Vec::new();
            stream.read_to_end(&mut request)?;
            let args: Vec<Vec<u8>> = serde_json::from_slice(&request)?;
            let args: Vec<OsString> = args.into_iter().map(OsString::from_vec).collect();
            let reply = match linker::link_line(&args, context, &dir) {
                Ok(line) => Reply {
                    link: Some(line.into_iter().map(OsString::into_vec).collect()),
                    messages: Vec::new(),
                },
                Err(outcome) => Reply {
                    link: None,
                    messages: outcome.messages,
                },
            };
            stream.write_all(&serde_json::to_vec(&reply)?)
        });
    match answered {
        Ok(()) => Outcome::exit(std::process::ExitCode::SUCCESS),
        Err(e) => Outcome::failed(format!("the link server could not answer: {e}")),
    }
}

/// In the linker (`args`: its arguments, after its name): the link, if
/// the wrapper started a server and it answered; `None` otherwise (the
/// linker then does the work itself).
pub(super) fn ask(args: &[OsString]) -> Option<Outcome> {
    let socket = getenv(env_keys::LINK_SOCKET)?;
    log(|| "asking the link server".into());
    let request: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    let reply = UnixStream::connect(&socket).and_then(|mut stream| {
        stream.write_all(&serde_json::to_vec(&request)?)?;
        stream.shutdown(std::net::Shutdown::Write)?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply)?;
        Ok(serde_json::from_slice::<Reply>(&reply)?)
    });
    match reply {
        Ok(Reply {
            link: Some(line), ..
        }) => {
            let line: Vec<OsString> = line.into_iter().map(OsString::from_vec).collect();
            Some(linker::run_real_linker(&linker::real_linker(), &line))
        }
        Ok(Reply { messages, .. }) => Some(Outcome {
            code: std::process::ExitCode::FAILURE,
            messages,
        }),
        Err(e) => {
            log(|| format!("the link server did not answer ({e}): linking here"));
            None
        }
    }
}
