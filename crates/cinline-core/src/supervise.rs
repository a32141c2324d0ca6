//! Crash containment: the work that touches LLVM runs in a child process.
//!
//! LLVM reports some errors by aborting the process (`LLVM ERROR: out of
//! memory` on damaged bitcode, `report_fatal_error`, assertions). No handler
//! can make such an abort survivable inside the process, so the executable
//! re-runs itself as a *worker* ([`supervise`]) for the commands that load
//! LLVM, and the parent (which never loads LLVM) decides what a worker that
//! died by a signal means: an error naming the file for the CLI, a fallback
//! for the cargo wrappers.
//!
//! The worker runs in its own process group with a private scratch
//! directory as `TMPDIR`. On SIGINT, SIGTERM or SIGHUP the parent forwards
//! the signal to the group (the worker and every tool it started: rustc,
//! llvm-link, clang, the linker), waits for the worker, removes the scratch
//! directory and the temporary files the worker had created beside its
//! outputs, and exits with 128 + the signal number.
//!
//! The worker tells the parent which file it is working on ([`stage`]) and
//! which temporary files it created ([`note_temp`]) through small files in
//! the scratch directory, so that nothing is mixed into its output.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::cargo::env_keys;

/// The worker's process group once it has ended.
const FINISHED: i32 = -1;

/// The scratch directory, in a worker (read once from the environment).
static WORKER_DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The file in the scratch directory naming the file being processed.
const STAGE_FILE: &str = "stage";
/// The file in the scratch directory listing temporary files beside outputs.
const TEMPS_FILE: &str = "temps";
/// The file a worker leaves when it returns from `main`: a worker that
/// exits without it was ended from inside LLVM (`report_fatal_error` calls
/// `exit(1)`).
const DONE_FILE: &str = "done";

/// Whether this process is a worker. Must be called first thing in `main`,
/// while the process has one thread: it takes the private variable out of
/// the environment so that tools the worker runs (rustc, which runs this
/// executable again as its linker) are supervised in turn.
pub fn enter_worker() -> bool {
    let dir = WORKER_DIR.get_or_init(|| {
        let dir = crate::getenv(env_keys::WORKER).map(PathBuf::from);
        if dir.is_some() {
            let starter =
                crate::getenv(env_keys::STARTER).and_then(|pid| pid.to_str()?.parse::<u32>().ok());
            std::env::remove_var(env_keys::WORKER);
            std::env::remove_var(env_keys::STARTER);
            // A build's link server: its directory goes with it on that
            // signal, whenever it comes.
            crate::cargo::end_with_the_build();
            // A worker whose supervisor is killed outright must not go on.
            let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
            // A starter that ended before that line sent no signal (a
            // `cargo cinline` whose cargo stopped at once would leave its
            // build's link server waiting forever): end as if it had.
            if starter.is_some_and(|pid| std::os::unix::process::parent_id() != pid) {
                crate::cargo::abandon_link_server();
                let _ = nix::sys::signal::raise(Signal::SIGTERM);
                std::process::exit(128 + SIGTERM);
            }
            cinline_cc::output::observe_temps(note_temp);
        }
        dir
    });
    dir.is_some()
}

/// The variables that make a process this executable starts a worker
/// with the scratch directory `dir`, started by this process, and its
/// `TMPDIR` (`dir/tmp`, made here): the worker's temporary files go where
/// its starter removes them, even when LLVM aborts the worker before it
/// could remove its own (a link server's objects directory stayed in
/// `/tmp` after every crash).
pub(crate) fn worker_env(dir: &Path) -> [(&'static str, OsString); 3] {
    let tmp = dir.join("tmp");
    let _ = std::fs::create_dir(&tmp);
    [
        (env_keys::WORKER, dir.into()),
        (env_keys::STARTER, std::process::id().to_string().into()),
        ("TMPDIR", tmp.into()),
    ]
}

fn worker_dir() -> Option<&'static Path> {
    WORKER_DIR.get().and_then(|d| d.as_deref())
}

/// Whether this process is a supervised worker.
pub(crate) fn in_worker() -> bool {
    worker_dir().is_some()
}

/// In a worker: `path` is the file now being handed to LLVM. Named by the
/// parent if the worker dies.
pub(crate) fn stage(path: &Path) {
    stage_together(&[path]);
    if in_worker()
        && crate::getenv(env_keys::FAULT)
            .is_some_and(|f| path.as_os_str().as_bytes().ends_with(f.as_bytes()))
    {
        eprintln!("LLVM ERROR: injected fault ({})", env_keys::FAULT);
        std::process::abort();
    }
}

/// In a worker: LLVM now works on `paths` together (a crate and its
/// helpers, once all are read: the probes, the link, code generation),
/// so a crash may come from any of them, and the parent names them all.
/// Without it the last file read would be named alone: a crate whose
/// damaged target features crash LLVM's probe was reported as its helper
/// file.
pub(crate) fn stage_together(paths: &[&Path]) {
    if let Some(dir) = worker_dir() {
        // One record per thread (threads generating units hand LLVM their
        // files at once), the paths separated by NUL (which no path holds),
        // written beside and renamed: never seen half written.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local!(static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed));
        let slot = SLOT.with(|s| *s);
        let record = dir.join(format!("{STAGE_FILE}.{slot}"));
        let temp = dir.join(format!("{STAGE_FILE}.{slot}.tmp"));
        let names: Vec<&[u8]> = paths.iter().map(|p| p.as_os_str().as_bytes()).collect();
        if std::fs::write(&temp, names.join(&0)).is_ok() {
            let _ = std::fs::rename(&temp, record);
        }
    }
}

/// The files the worker's threads last handed LLVM (see [`stage`]), the
/// most recent first, each once.
fn staged(dir: &Path) -> Vec<PathBuf> {
    let prefix = format!("{STAGE_FILE}.");
    let mut records: Vec<(std::time::SystemTime, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&prefix) && !name.ends_with(".tmp")
        })
        .filter_map(|e| {
            let when = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((when, std::fs::read(e.path()).ok()?))
        })
        .collect();
    records.sort_by_key(|(when, _)| std::cmp::Reverse(*when));
    let mut named = Vec::new();
    for path in records
        .iter()
        .flat_map(|(_, record)| record.split(|&b| b == 0))
        .map(|name| PathBuf::from(OsStr::from_bytes(name)))
    {
        if !named.contains(&path) {
            named.push(path);
        }
    }
    named
}

/// In a worker: `path` is a temporary file created beside an output, to be
/// removed by the parent if the worker is killed before it is renamed.
fn note_temp(path: &Path) {
    if let Some(dir) = worker_dir() {
        let line = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(TEMPS_FILE))
        {
            let mut bytes = line.into_os_string().into_vec();
            bytes.push(b'\n');
            let _ = f.write_all(&bytes);
        }
    }
}

/// In a worker: `main` is returning (the exit is cinline's own, not
/// LLVM's).
pub fn worker_done() {
    if let Some(dir) = worker_dir() {
        let _ = std::fs::write(dir.join(DONE_FILE), b"");
    }
}

/// How the worker's standard streams reach ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams {
    /// The CLI: stdout as is, stderr forwarded line by line (LLVM's
    /// `LLVM ERROR:` lines are held back and folded into the crash error).
    Live,
    /// The cargo wrappers: both kept until the worker ends, and dropped if
    /// it died (the fallback then prints what the tool it reruns prints,
    /// once; stdout carries rustc's messages to cargo). Except rustc's
    /// metadata notices, passed on as they come (pipelining; see
    /// `cargo::stream`).
    Buffered,
}

/// How the worker ended, when it did not exit by itself.
#[derive(Debug)]
pub struct Crash {
    /// The signal that ended it (`SIGABRT`), or the exit status LLVM
    /// gave (`exit status 1`).
    pub signal: String,
    /// The files it was working on, if it said: one per thread that
    /// handed LLVM a file, the most recent first.
    pub files: Vec<PathBuf>,
    /// LLVM's last message on stderr (`LLVM ERROR: out of memory`), if any.
    pub message: Option<String>,
}

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.files.as_slice() {
            [] => write!(f, "LLVM crashed ({}) on this input", self.signal)?,
            [file] => write!(
                f,
                "{}: LLVM crashed ({}) on this input",
                file.display(),
                self.signal
            )?,
            // Which file LLVM was on is not known (several threads, or one
            // working on a crate and its helpers together): each is named.
            files => {
                let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "LLVM crashed ({}) on one of the inputs it was working on: {}",
                    self.signal,
                    names.join(", ")
                )?
            }
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

/// How a supervised worker ended.
#[derive(Debug)]
pub enum Outcome {
    /// It exited with this code; its output was passed on. Also the exit
    /// code (128 + signal) when a signal sent to us stopped it.
    Exited(ExitCode),
    /// It died by a signal nobody sent us; its output was dropped
    /// ([`Streams::Buffered`]) or its LLVM message taken into the crash.
    Crashed(Crash),
    /// No worker could be started (why): the caller runs the work itself.
    NotStarted(String),
}

/// Runs this executable again as a worker with the same arguments (`args`,
/// the whole command line) and waits for it. A signal sent to us stops the
/// worker and its tools and removes its temporary files; the outcome is
/// then `Exited(128 + signal)`.
pub fn supervise(args: &[OsString], streams: Streams) -> Outcome {
    let scratch = match tempfile::Builder::new().prefix("cinline-run-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return Outcome::NotStarted(format!("cannot create a scratch directory: {e}")),
    };
    let received = Arc::new(AtomicI32::new(0));
    // The worker's process group: 0 before it starts, FINISHED after.
    let group = Arc::new(AtomicI32::new(0));
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        let (received, group) = (received.clone(), group.clone());
        // Lives as long as the process: after the worker, a signal has its
        // default effect again (during a fallback, for instance).
        std::thread::spawn(move || {
            for signo in signals.forever() {
                let pgid = group.load(Ordering::SeqCst);
                if pgid == FINISHED {
                    let _ = signal_hook::low_level::emulate_default_handler(signo);
                }
                received.store(signo, Ordering::SeqCst);
                forward(pgid, signo);
            }
        });
    }

    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(&args[0]));
    let mut cmd = Command::new(me);
    {
        use std::os::unix::process::CommandExt;
        cmd.arg0(&args[0]).process_group(0);
    }
    cmd.args(&args[1..])
        .envs(worker_env(scratch.path()))
        .stdin(Stdio::inherit())
        .stderr(Stdio::piped())
        .stdout(match streams {
            Streams::Live => Stdio::inherit(),
            Streams::Buffered => Stdio::piped(),
        });
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            group.store(FINISHED, Ordering::SeqCst);
            return Outcome::NotStarted(format!("cannot run this executable again: {e}"));
        }
    };
    let pgid = child.id() as i32;
    group.store(pgid, Ordering::SeqCst);
    // A signal that came before the worker had a group.
    let early = received.load(Ordering::SeqCst);
    if early != 0 {
        forward(pgid, early);
    }
    let out_reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        })
    });
    let err_reader = child
        .stderr
        .take()
        .map(|err| std::thread::spawn(move || read_stderr(err, streams)));
    let status = child.wait();
    let signo = received.load(Ordering::SeqCst);
    let killed = status.as_ref().map_or(true, |s| signal_of(s).is_some());
    if signo != 0 || killed {
        // Tools the worker started may still run (and hold its pipes).
        forward(pgid, Signal::SIGKILL as i32);
    }
    group.store(FINISHED, Ordering::SeqCst);
    let stdout = out_reader.and_then(|r| r.join().ok()).unwrap_or_default();
    let (stderr, held) = err_reader.and_then(|r| r.join().ok()).unwrap_or_default();
    let status = match status {
        Ok(status) => status,
        Err(e) => {
            remove_temps(scratch.path());
            return Outcome::Crashed(Crash {
                signal: "lost".into(),
                files: Vec::new(),
                message: Some(e.to_string()),
            });
        }
    };
    // LLVM's `report_fatal_error` calls `exit(1)`: a worker that exits
    // without returning from `main`, after an `LLVM ERROR:` line.
    let message = last_message(&held, &stderr);
    let llvm_exit = !scratch.path().join(DONE_FILE).exists()
        && status.code().is_some_and(|c| c != 0)
        && message
            .as_deref()
            .is_some_and(|m| m.starts_with("LLVM ERROR:"));
    let ended = signal_of(&status)
        .or_else(|| llvm_exit.then(|| format!("exit status {}", status.code().unwrap_or(1))));
    if signo != 0 || ended.is_some() {
        remove_temps(scratch.path());
    }
    if signo != 0 {
        drop(scratch);
        return Outcome::Exited(ExitCode::from((128 + signo).clamp(0, 255) as u8));
    }
    if let Some(signal) = ended {
        return Outcome::Crashed(Crash {
            signal,
            files: staged(scratch.path()),
            message,
        });
    }
    let _ = std::io::stdout().lock().write_all(&stdout);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(&stderr);
    for line in &held {
        let _ = writeln!(err, "{line}");
    }
    Outcome::Exited(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// Sends `signo` to the process group `pgid` (0: no worker yet).
fn forward(pgid: i32, signo: i32) {
    if pgid > 0 {
        if let Ok(signal) = Signal::try_from(signo) {
            let _ = killpg(Pid::from_raw(pgid), signal);
        }
    }
}

/// The name of the signal that ended a process, if one did.
fn signal_of(status: &ExitStatus) -> Option<String> {
    use std::os::unix::process::ExitStatusExt;
    let signo = status.signal()?;
    Some(
        Signal::try_from(signo)
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|_| format!("signal {signo}")),
    )
}

/// Reads the worker's stderr: forwarded as it comes (`Live`, except
/// `LLVM ERROR:` lines, returned apart) or kept (`Buffered`).
fn read_stderr(err: impl Read, streams: Streams) -> (Vec<u8>, Vec<String>) {
    let mut kept = Vec::new();
    let mut held = Vec::new();
    let mut reader = std::io::BufReader::new(err);
    let mut line = Vec::new();
    loop {
        line.clear();
        match std::io::BufRead::read_until(&mut reader, b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        // After an `LLVM ERROR:` line comes the abort ("Allocation
        // failed"...): held back too, printed only if the worker lives.
        if streams == Streams::Live && (!held.is_empty() || text.starts_with("LLVM ERROR:")) {
            held.push(text.trim_end().to_string());
        } else if streams == Streams::Live {
            let _ = std::io::stderr().write_all(&line);
        } else if !crate::cargo::forward_notice(&line) {
            // cargo starts a library's dependents on its metadata notice:
            // that goes on at once, the rest waits for the worker.
            kept.extend_from_slice(&line);
        }
    }
    (kept, held)
}

/// LLVM's last word before the crash: its `LLVM ERROR:` line, else the
/// last line on stderr.
fn last_message(held: &[String], stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let mut lines = held.iter().map(String::as_str).chain(text.lines());
    let llvm = lines.clone().rfind(|l| l.starts_with("LLVM ERROR:"));
    llvm.or_else(|| lines.rfind(|l| !l.trim().is_empty()))
        .map(|l| l.trim().to_string())
}

/// Removes the temporary files the worker created beside its outputs.
fn remove_temps(scratch: &Path) {
    let Ok(list) = std::fs::read(scratch.join(TEMPS_FILE)) else {
        return;
    };
    for line in list.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let path = PathBuf::from(OsStr::from_bytes(line));
        // Only our own temporary names: never an output.
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".cinline-"))
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llvm_s_last_word_is_its_error_line() {
        let stderr = b"warning: something\nLLVM ERROR: out of memory\nAllocation failed\n";
        assert_eq!(
            last_message(&[], stderr).as_deref(),
            Some("LLVM ERROR: out of memory")
        );
        let held = vec![
            "LLVM ERROR: bad".to_string(),
            "Allocation failed".to_string(),
        ];
        assert_eq!(
            last_message(&held, b"x\n").as_deref(),
            Some("LLVM ERROR: bad")
        );
        assert_eq!(last_message(&[], b"one\ntwo\n\n").as_deref(), Some("two"));
        assert_eq!(last_message(&[], b""), None);
    }

    #[test]
    fn a_crash_names_the_file_first() {
        let crash = Crash {
            signal: "SIGABRT".into(),
            files: vec![PathBuf::from("h.bc")],
            message: Some("LLVM ERROR: out of memory".into()),
        };
        assert_eq!(
            crash.to_string(),
            "h.bc: LLVM crashed (SIGABRT) on this input: LLVM ERROR: out of memory"
        );
    }

    #[test]
    fn inputs_staged_together_are_each_named_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{STAGE_FILE}.0")), b"c.bc\0h.bc").unwrap();
        std::fs::write(dir.path().join(format!("{STAGE_FILE}.1.tmp")), b"half").unwrap();
        assert_eq!(
            staged(dir.path()),
            [PathBuf::from("c.bc"), PathBuf::from("h.bc")]
        );
        std::fs::write(dir.path().join(format!("{STAGE_FILE}.1")), b"h.bc").unwrap();
        assert_eq!(staged(dir.path()).len(), 2);
        let crash = Crash {
            signal: "SIGSEGV".into(),
            files: staged(dir.path()),
            message: None,
        };
        let text = crash.to_string();
        assert!(
            text.starts_with("LLVM crashed (SIGSEGV) on one of the inputs it was working on: ")
                && text.contains("c.bc")
                && text.contains("h.bc"),
            "{text}"
        );
    }

    #[test]
    fn a_cargo_wrapper_s_metadata_notice_is_not_held() {
        let notice =
            r#"{"$message_type":"artifact","artifact":"/t/libm-1.rmeta","emit":"metadata"}"#;
        let from = format!("w1\n{notice}\nw2\n");
        let (kept, held) = read_stderr(from.as_bytes(), Streams::Buffered);
        // The notice went to stderr as it came; the diagnostics wait.
        assert_eq!(String::from_utf8(kept).unwrap(), "w1\nw2\n");
        assert!(held.is_empty());
    }

    #[test]
    fn only_our_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join(".cinline-abc");
        let output = dir.path().join("out.o");
        std::fs::write(&ours, b"").unwrap();
        std::fs::write(&output, b"").unwrap();
        let list = format!("{}\n{}\n", ours.display(), output.display());
        std::fs::write(dir.path().join(TEMPS_FILE), list).unwrap();
        remove_temps(dir.path());
        assert!(!ours.exists());
        assert!(output.exists());
    }
}
