//! A binary's link, prepared while rustc compiles it, by a process that
//! may serve a whole build.
//!
//! rustc calls its linker (cinline, `linker.rs`) at the very end of a
//! binary's build. Without help, that linker then starts a supervised
//! worker, which loads rustc's libLLVM and reads the helper manifests
//! before it can generate anything, and which must end (unmapping libLLVM)
//! before rustc goes on: about 7 ms on the critical path of every binary,
//! and the load paid again for every binary.
//!
//! So the linker hands its link to a *link server* ([`ask`]): it connects
//! to a Unix socket, sends its arguments and what the rustc wrapper handed
//! it, gets back the link line with the generated objects (written into a
//! directory of its own), and runs the real linker itself. The server
//! ([`serve`]) is
//!
//! - **the build's**, when `cargo cinline` started one before cargo
//!   ([`Server::start`] with [`Scope::Build`]): it lives as long as cargo,
//!   loads rustc's libLLVM once, when the first rustc wrapper of a binary
//!   asks it to prepare ([`prepare`], sent as rustc starts: the binary's
//!   manifests are read then too), and serves every link of the build,
//!   each on its own threads;
//! - **the crate's** otherwise ([`Scope::Crate`]: `RUSTC_WRAPPER` set by
//!   hand): the rustc wrapper of the binary starts it with rustc; it loads
//!   libLLVM and the manifests while rustc compiles, answers the one
//!   linker, and ends while the real link runs.
//!
//! The build's server generates libraries' code too ([`ask_archive`]): a
//! library whose units cinline generates (`own_codegen::Once::Archive`)
//! hands the server its context as rustc starts, as a binary does, and
//! once rustc is done gets back the units' objects, which its wrapper
//! writes into the archive. libLLVM is then loaded, and the helpers read,
//! once for the whole build, not again in every library's worker.
//!
//! A link server has no jobserver of its own: the linker takes the tokens
//! a small unit's parts could use from cargo's and holds them until the
//! answer comes ([`super::own_codegen::FreeCores::Held`]).
//!
//! Crash containment is kept: the server runs as a supervised worker does
//! (its files named in its scratch directory, ended when the process that
//! started it ends), and a server that cannot be reached, or dies before it
//! answers, is only a lost head start: the linker (or the library's
//! wrapper) then does the work in its own supervised worker, as without a
//! server, and a crash there is handled as before. The directory of a
//! build's server that died is removed by the next build's server
//! ([`remove_dead_servers`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::jobserver::Jobserver;
use super::outcome::Message;
use super::own_codegen::{ArchiveCrate, FreeCores};
use super::record::Record;
use super::{archive, env_keys, linker, log, Outcome};
use crate::getenv;

/// What a link server is asked.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Request {
    /// Prepare the link described by `handed` (a rustc wrapper, as rustc
    /// starts): nothing is answered.
    Prepare { handed: linker::Handed },
    /// The link of rustc's linker.
    Link {
        /// The linker's arguments (bytes: paths need not be UTF-8).
        args: Vec<Vec<u8>>,
        /// What the rustc wrapper handed the linker.
        handed: linker::Handed,
        /// Cores from cargo's jobserver the linker holds for the parts.
        free_cores: usize,
        /// Where the objects go: the linker's, kept until its link is done.
        objects: PathBuf,
    },
    /// The objects of a library's archive (its rustc wrapper, once rustc
    /// is done), answered with an [`ArchiveReply`].
    Archive {
        /// What the wrapper handed the server as rustc started.
        handed: linker::Handed,
        krate: ArchiveCrate,
        /// Where the objects go: the wrapper's, which reads them back.
        objects: PathBuf,
    },
}

/// What the server answers a library's wrapper: the crate's record and its
/// units' objects (member name, file in the wrapper's directory); `None`
/// if it could not make them (the wrapper then does the work itself, and
/// says why if it fails too).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ArchiveReply(Option<(Record, Vec<(String, PathBuf)>)>);

/// Whom a link server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every link of a `cargo cinline` build, until cargo ends.
    Build,
    /// One binary's link (its rustc wrapper started it).
    Crate,
}

/// What the server answers the linker.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Reply {
    /// The real linker's arguments (bytes: paths need not be UTF-8); `None`
    /// if the link fails without it.
    link: Option<Vec<Vec<u8>>>,
    /// Why the link fails (exit code 1), when it does.
    messages: Vec<Message>,
}

/// A link server as its starter holds it: its socket, bound first (by the
/// rustc wrapper before rustc starts, by `cargo cinline` before cargo),
/// and the server process, started after (by the wrapper once rustc runs,
/// so that the server's own start, on a busy machine, never delays
/// rustc's). Stopped (if it still runs) and its directory removed when
/// dropped: by the wrapper once rustc is done; never by `cargo cinline`,
/// which becomes cargo (the build's server ends with cargo).
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
        let dir = tempfile::Builder::new().prefix(DIR_PREFIX).tempdir().ok()?;
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

    /// Starts the server process for `scope` with `env` (for a crate's
    /// server, the variables its linker gets). The listening socket is its
    /// standard input: a linker that connects before the server accepts
    /// waits in the socket's queue, and one that connects when no server
    /// could start, or after it died, is refused (nothing else holds the
    /// socket open).
    pub(super) fn start(&mut self, scope: Scope, env: &[(&str, OsString)]) {
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
        let mut cmd = Command::new(me);
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .env(env_keys::LINK_SERVER, self.dir.path())
            .envs(crate::supervise::worker_env(&worker))
            .stdin(Stdio::from(OwnedFd::from(listener)))
            .stdout(Stdio::null())
            .stderr(stderr);
        if scope == Scope::Build {
            cmd.env(env_keys::LINK_SERVER_BUILD, "1");
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        cmd.env(
            GLIBC_TUNABLES,
            malloc_tunables(getenv(GLIBC_TUNABLES), cores),
        );
        self.child = cmd.spawn().ok();
    }
}

/// glibc's settings, read by its loader as a process starts.
const GLIBC_TUNABLES: &str = "GLIBC_TUNABLES";

/// `GLIBC_TUNABLES` for a link server: glibc's allocator keeps the memory
/// links free for the next links (up to 64 MiB free on top of an arena, and
/// blocks up to 32 MiB taken from arenas rather than mapped alone), with at
/// most one arena per core; then whatever `user` set, which wins (glibc
/// takes the last value of a setting given twice). Other C libraries
/// ignore the variable.
///
/// Why: a server makes and frees each link's LLVM memory, megabytes, on
/// threads that come and go. By default glibc gives new threads arenas of
/// their own and hands freed memory back to the kernel, so every link
/// faults its pages in again. Measured on the workloads' release rebuild
/// (5 links, perf, medians of 8 interleaved builds): the server's threads
/// fault about 3,600 pages instead of 6,200 and spend 18 ms in the kernel
/// instead of 28, their CPU 128 ms instead of 140. The cost: a server holds
/// the memory of its largest links until cargo ends.
fn malloc_tunables(user: Option<OsString>, cores: usize) -> OsString {
    let mut tunables = OsString::from(format!(
        "glibc.malloc.trim_threshold={}:glibc.malloc.mmap_threshold={}:glibc.malloc.arena_max={}",
        64 << 20,
        32 << 20,
        cores.max(1)
    ));
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        tunables.push(":");
        tunables.push(user);
    }
    tunables
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // A crate's server still waiting when rustc failed before
            // linking.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// In the server: serves its scope's links (see the module's text).
pub(super) fn serve() -> Outcome {
    if getenv(env_keys::LINK_SERVER).is_none() {
        return Outcome::failed("the link server has no directory");
    }
    let scope = match getenv(env_keys::LINK_SERVER_BUILD) {
        Some(_) => Scope::Build,
        None => Scope::Crate,
    };
    let listener = match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => UnixListener::from(fd),
        Err(e) => return Outcome::failed(format!("the link server has no socket: {e}")),
    };
    match scope {
        Scope::Crate => {
            // The crate's linker gets the same variables from the wrapper.
            let handed = linker::Handed::from_env();
            let context = linker::load(&handed, true);
            log(|| "link server ready".into());
            match listener.accept() {
                Ok((stream, _)) => answer(stream, Ready::Crate(Box::new(context))),
                Err(e) => return Outcome::failed(format!("the link server could not answer: {e}")),
            }
        }
        Scope::Build => {
            // Its end with the build was set up as it became a worker.
            log(|| "link server ready for the build".into());
            if let Some(dir) = getenv(env_keys::LINK_SERVER) {
                std::thread::spawn(move || remove_dead_servers(Path::new(&dir)));
            }
            let prepared = Arc::new(Prepared::default());
            for stream in listener.incoming().flatten() {
                let prepared = prepared.clone();
                std::thread::spawn(move || answer(stream, Ready::Build(&prepared)));
            }
        }
    }
    Outcome::exit(std::process::ExitCode::SUCCESS)
}

/// The prefix of a link server's directory.
const DIR_PREFIX: &str = "cinline-link-";

/// In the build's server, whose directory is `own`: removes the
/// directories beside it of builds' servers that died (LLVM aborted one:
/// nothing was left to remove its directory), which no process will
/// answer on again. A server that lives accepts the connection (a crate's
/// server not started yet too: its wrapper holds the socket); a directory
/// without a socket yet is being made.
fn remove_dead_servers(own: &Path) {
    let Some(parent) = own.parent() else { return };
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let dir = entry.path();
        let ours = entry.file_name().to_string_lossy().starts_with(DIR_PREFIX);
        let dead = || {
            UnixStream::connect(dir.join("s"))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        };
        if ours && dir != own && dead() {
            log(|| format!("removing {}: its link server died", dir.display()));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// In a link server whose starter had already ended when it started:
/// its directory, which nothing else would remove.
pub(crate) fn abandon() {
    if let Some(dir) = getenv(env_keys::LINK_SERVER) {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// In the build's server, before its parent-death signal is armed (a
/// signal between the two would end it with its directory left): when
/// cargo ends (that signal) or the build is interrupted, the server's
/// directory goes with it. Nothing for any other process.
pub(crate) fn end_with_the_build() {
    if getenv(env_keys::LINK_SERVER_BUILD).is_none() {
        return;
    }
    let Some(dir) = getenv(env_keys::LINK_SERVER).map(PathBuf::from) else {
        return;
    };
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signo) = signals.forever().next() {
            let _ = std::fs::remove_dir_all(&dir);
            let _ = signal_hook::low_level::emulate_default_handler(signo);
        }
    });
}

/// What a build's server prepared for the links to come: each binary's
/// context (libLLVM loaded, manifests read) as its rustc started, taken by
/// its link.
#[derive(Default)]
struct Prepared(Mutex<Vec<(linker::Handed, linker::Context)>>);

impl Prepared {
    fn keep(&self, handed: linker::Handed, context: linker::Context) {
        if let Ok(mut kept) = self.0.lock() {
            kept.push((handed, context));
        }
    }

    fn take(&self, handed: &linker::Handed) -> Option<linker::Context> {
        let mut kept = self.0.lock().ok()?;
        let at = kept.iter().position(|(h, _)| h == handed)?;
        Some(kept.swap_remove(at).1)
    }
}

/// What a server has ready for a link.
enum Ready<'a> {
    /// A crate's server: the context of its one link.
    Crate(Box<crate::Result<linker::Context>>),
    /// The build's: what its prepare requests made.
    Build(&'a Prepared),
}

/// Answers one request on `stream`, with what the server has `ready`.
fn answer(mut stream: UnixStream, ready: Ready<'_>) {
    let mut request = Vec::new();
    if stream.read_to_end(&mut request).is_err() {
        return;
    }
    let reply = match serde_json::from_slice::<Request>(&request) {
        Ok(Request::Prepare { handed }) => {
            if let Ready::Build(prepared) = &ready {
                // A context that cannot be had: the link will say why.
                if let Ok(context) = linker::load(&handed, true) {
                    prepared.keep(handed, context);
                }
            }
            return;
        }
        Ok(Request::Link {
            args,
            handed,
            free_cores,
            objects,
        }) => {
            let args: Vec<OsString> = args.into_iter().map(OsString::from_vec).collect();
            let context = ready.take(&handed);
            let free = FreeCores::Held(free_cores);
            serde_json::to_vec(
                &match linker::link_line(&args, &handed, context, &objects, free) {
                    Ok(line) => Reply {
                        link: Some(line.into_iter().map(OsString::into_vec).collect()),
                        messages: Vec::new(),
                    },
                    Err(outcome) => Reply {
                        link: None,
                        messages: outcome.messages,
                    },
                },
            )
        }
        Ok(Request::Archive {
            handed,
            krate,
            objects,
        }) => serde_json::to_vec(&ArchiveReply(
            ready
                .take(&handed)
                .ok()
                .and_then(|context| archive_objects(&context, &krate, &objects)),
        )),
        Err(_) => return,
    };
    if let Ok(reply) = reply {
        let _ = stream.write_all(&reply);
    }
}

impl Ready<'_> {
    /// The context of the crate `handed` describes: the one prepared for
    /// it, else loaded now.
    fn take(self, handed: &linker::Handed) -> crate::Result<linker::Context> {
        match self {
            Ready::Crate(context) => *context,
            Ready::Build(prepared) => match prepared.take(handed) {
                Some(context) => Ok(context),
                None => {
                    log(|| format!("`{}`: not prepared", handed.stem()));
                    linker::load(handed, true)
                }
            },
        }
    }
}

/// In the server: the objects of `krate`'s archive, written into
/// `objects`, and its record; `None` on any failure (the wrapper then
/// does the work itself, supervised, and reports what fails).
fn archive_objects(
    context: &linker::Context,
    krate: &ArchiveCrate,
    objects: &Path,
) -> Option<(Record, Vec<(String, PathBuf)>)> {
    crate::inline_attrs::keep_probes_in(super::probes_dir(&krate.out_dir));
    let (record, generated) = context.generate_archive(krate).ok()?;
    let mut files = Vec::new();
    for (i, (member, object)) in generated.into_iter().enumerate() {
        let file = objects.join(format!("{i}.o"));
        std::fs::write(&file, object).ok()?;
        files.push((member, file));
    }
    Some((record, files))
}

/// In a library's rustc wrapper, once rustc is done: the crate's record,
/// its archive's bitcode replaced with the objects the build's server at
/// `socket` generated (its context `handed` over as rustc started, see
/// [`prepare`]); `None` if the server did not (the wrapper then does the
/// work itself).
pub(super) fn ask_archive(
    socket: &Path,
    handed: Vec<(&str, OsString)>,
    krate: &ArchiveCrate,
) -> Option<Record> {
    let served = served_archive(socket, handed, krate);
    log(|| match served {
        Some(_) => format!("crate `{}`: generated by the link server", krate.crate_name),
        None => format!(
            "crate `{}`: the link server did not generate it: generating here",
            krate.crate_name
        ),
    });
    served
}

/// [`ask_archive`]'s work: `None` at the first step that fails (no
/// directory for the objects, no answer, an object or the archive that
/// cannot be read or rewritten).
fn served_archive(
    socket: &Path,
    handed: Vec<(&str, OsString)>,
    krate: &ArchiveCrate,
) -> Option<Record> {
    let objects = tempfile::tempdir().ok()?;
    let request = Request::Archive {
        handed: linker::Handed::from_pairs(handed),
        krate: krate.clone(),
        objects: objects.path().to_path_buf(),
    };
    let ArchiveReply(Some((record, files))) = exchange(socket, &request).ok()? else {
        return None;
    };
    let mut generated = BTreeMap::new();
    for (member, file) in files {
        generated.insert(member, std::fs::read(file).ok()?);
    }
    let path = krate.archive();
    let members = archive::members(&path).ok()?;
    archive::replace(&path, &members, &generated).ok()?;
    Some(record)
}

/// Sends `request` to the server at `socket` and reads its whole answer.
fn exchange<T: serde::de::DeserializeOwned>(
    socket: &Path,
    request: &Request,
) -> std::io::Result<T> {
    let mut stream = UnixStream::connect(socket)?;
    stream.write_all(&serde_json::to_vec(request)?)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(serde_json::from_slice(&reply)?)
}

/// In a rustc wrapper, as rustc starts: asks the build's server at
/// `socket` to prepare the link of the binary described by `handed` (the
/// variables its linker gets): libLLVM loaded, manifests read. Without
/// waiting.
pub(super) fn prepare(socket: &Path, handed: Vec<(&str, OsString)>) {
    let handed = linker::Handed::from_pairs(handed);
    if let (Ok(mut stream), Ok(request)) = (
        UnixStream::connect(socket),
        serde_json::to_vec(&Request::Prepare { handed }),
    ) {
        let _ = stream.write_all(&request);
    }
}

/// In the linker (`args`: its arguments, after its name): the link, if
/// the wrapper or `cargo cinline` started a server and it answered; `None`
/// otherwise (the linker then does the work itself).
pub(super) fn ask(args: &[OsString]) -> Option<Outcome> {
    let socket = getenv(env_keys::LINK_SOCKET)?;
    log(|| "asking the link server".into());
    let handed = linker::Handed::from_env();
    // The cores the parts of a small unit could use, held until the answer.
    let sizes = linker::generated_sizes(&linker::bitcode_units(args, &handed.stem()));
    let wanted = super::own_codegen::cores_wanted(&sizes).unwrap_or(0);
    let jobserver = (wanted > 0).then(Jobserver::from_env).flatten();
    let tokens: Vec<_> = jobserver
        .iter()
        .flat_map(|j| (0..wanted).map_while(|_| j.try_acquire()))
        .collect();
    // The objects go where rustc removes them after the link, else into
    // a directory of ours, removed here after it.
    let (objects, own_dir) = match linker::rustc_temp_dir(args, handed.out_dir().as_deref()) {
        Some(dir) => (dir, None),
        None => {
            let dir = tempfile::tempdir().ok()?;
            (dir.path().to_path_buf(), Some(dir))
        }
    };
    let request = Request::Link {
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        handed: handed.clone(),
        free_cores: tokens.len(),
        objects,
    };
    let reply = exchange::<Reply>(Path::new(&socket), &request);
    drop(tokens);
    match reply {
        Ok(Reply {
            link: Some(line), ..
        }) => {
            let line: Vec<OsString> = line.into_iter().map(OsString::from_vec).collect();
            let real = handed.real_linker();
            // A directory of ours must outlive the link: no `exec` then.
            Some(match &own_dir {
                None => linker::become_real_linker(&real, &line),
                Some(_) => linker::run_real_linker(&real, &line),
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_malloc_settings_come_last_and_win() {
        let ours = malloc_tunables(None, 2);
        assert_eq!(
            ours,
            "glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432:glibc.malloc.arena_max=2"
        );
        assert_eq!(
            malloc_tunables(Some("".into()), 0),
            malloc_tunables(None, 1)
        );
        let with_user = malloc_tunables(Some("glibc.malloc.arena_max=7".into()), 2);
        assert!(with_user
            .to_string_lossy()
            .ends_with(":glibc.malloc.arena_max=7"));
    }

    /// glibc's own loader reads the settings as meant: ours set, the
    /// user's taking precedence.
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    #[test]
    fn glibc_reads_the_malloc_settings() {
        let out = Command::new("/lib64/ld-linux-x86-64.so.2")
            .arg("--list-tunables")
            .env(
                GLIBC_TUNABLES,
                malloc_tunables(Some("glibc.malloc.arena_max=7".into()), 2),
            )
            .output()
            .expect("glibc's loader runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("glibc.malloc.{name}: ")))
                .and_then(|v| v.split_whitespace().next())
                .map(str::to_string)
        };
        assert_eq!(
            value("trim_threshold").as_deref(),
            Some("0x4000000"),
            "{text}"
        );
        assert_eq!(
            value("mmap_threshold").as_deref(),
            Some("0x2000000"),
            "{text}"
        );
        assert_eq!(value("arena_max").as_deref(), Some("0x7"), "{text}");
    }
}
