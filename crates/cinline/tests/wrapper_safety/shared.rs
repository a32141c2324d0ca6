//! The shared workspace of `wrapper_safety.rs` and the guard every cargo
//! run there goes through (a process limit, a process-group watchdog, a
//! time limit): a wrapper that chained to itself would fork without end.

use super::common::{self, command, copy_workspace, strip_c_state};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

pub(crate) struct Ws {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    /// Whether the first build is done.
    pub(crate) built: bool,
}

impl Ws {
    /// `cargo cinline ARGS` in the workspace, with `env` set, guarded.
    pub(crate) fn cargo_cinline(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let subcommand = common::cargo_cinline();
        let mut all = vec!["cinline"];
        all.extend_from_slice(args);
        // The first build compiles bindgen, on a machine shared with others.
        let limit = Duration::from_secs(if self.built { 180 } else { 900 });
        guarded(&self.root, subcommand.as_os_str(), &all, env, limit)
    }

    /// `cargo cinline build`, which must succeed; returns stderr.
    pub(crate) fn build_ok(&self, env: &[(&str, &str)]) -> String {
        let out = self.cargo_cinline(&["build"], env);
        assert!(out.status.success(), "build failed:\n{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub(crate) fn report(&self) -> String {
        let out = self.cargo_cinline(&["report"], &[]);
        assert!(out.status.success(), "report failed:\n{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Makes cargo rebuild `mini` (and what depends on it).
    pub(crate) fn touch_mini(&self) {
        let file = self.root.join("mini/src/lib.rs");
        let text = std::fs::read_to_string(&file).unwrap();
        // A new modification time, later than the last build's outputs.
        std::fs::write(&file, text).unwrap();
    }

    /// The helper manifest `mini-sys`'s build script wrote.
    pub(crate) fn manifest(&self) -> PathBuf {
        find(&self.root.join("target/cinline/debug/build"), &|p| {
            p.to_string_lossy().ends_with(".cinline.json")
        })
        .expect("no helper manifest")
    }

    /// The helper bitcode files the manifest names.
    pub(crate) fn helper_bitcode(&self) -> Vec<PathBuf> {
        let manifest = self.manifest();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        json["bitcode"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| manifest.parent().unwrap().join(b.as_str().unwrap()))
            .collect()
    }

    pub(crate) fn program_output(&self) -> String {
        let out = Command::new(self.root.join("target/cinline/debug/mini-app"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn expected_output(&self) -> String {
        std::fs::read_to_string(self.root.join("mini-app/expected_output.txt")).unwrap()
    }
}

/// Restores a file's content when dropped (also when a test fails).
pub(crate) struct Restore(pub(crate) PathBuf, pub(crate) Vec<u8>);

impl Restore {
    pub(crate) fn save(path: &Path) -> Restore {
        Restore(path.to_path_buf(), std::fs::read(path).unwrap())
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        std::fs::write(&self.0, &self.1).unwrap();
    }
}

pub(crate) fn find(dir: &Path, pred: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find(&path, pred) {
                return Some(found);
            }
        } else if pred(&path) {
            return Some(path);
        }
    }
    None
}

pub(crate) fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// How many processes this user has now.
pub(crate) fn my_processes() -> usize {
    let uid = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")
                .map(|u| u.split_whitespace().next().unwrap().to_string())
        })
        .unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.strip_prefix("Uid:")
                        .is_some_and(|u| u.split_whitespace().next() == Some(&uid))
                })
            })
        })
        .count()
}

/// How many processes are in the process group `group`.
pub(crate) fn processes_in_group(group: u32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("stat")).is_ok_and(|stat| {
                // `pid (comm) state ppid pgrp ...`; comm may hold anything.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<u32>().ok())
                    == Some(group)
            })
        })
        .count()
}

/// Most processes a guarded command may have at once (cargo, its jobs,
/// rustc, wrappers and linkers are a few dozen).
pub(crate) const MAX_PROCESSES: usize = 200;

/// Runs `program args` in `dir` so that a wrapper calling itself without
/// end cannot take the machine down, three ways: at most 400 more
/// processes than the user has now (`prlimit --nproc`: a fork then fails;
/// not enforced for the root of the initial user namespace), a process
/// group of its own that is killed as soon as it holds more than
/// [`MAX_PROCESSES`] processes, and killed after `limit`.
pub(crate) fn guarded(
    dir: &Path,
    program: &std::ffi::OsStr,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Output {
    use std::os::unix::process::CommandExt;
    let nproc = my_processes() + 400;
    let nproc = format!("--nproc={nproc}:{nproc}");
    let mut all: Vec<&std::ffi::OsStr> = vec![nproc.as_ref(), "--".as_ref(), program];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let mut cmd = command("prlimit", dir, &[]);
    cmd.args(all).env("CARGO", env!("CARGO"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let logs = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (logs.path().join("out"), logs.path().join("err"));
    cmd.stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().expect("prlimit (util-linux) is needed");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let processes = processes_in_group(child.id());
        if start.elapsed() > limit || processes > MAX_PROCESSES {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!(
                "{args:?} {env:?} killed after {:.0} s with {processes} processes \
                 (cinline calling itself?):\n{}",
                start.elapsed().as_secs_f64(),
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "{args:?} {env:?} took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Output {
        status,
        stdout: std::fs::read(&out_path).unwrap(),
        stderr: std::fs::read(&err_path).unwrap(),
    }
}

/// The shared workspace, built once with `cargo cinline build` (dev).
pub(crate) fn ws() -> MutexGuard<'static, Ws> {
    static WS: OnceLock<Mutex<Ws>> = OnceLock::new();
    WS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cargo-ws");
        copy_workspace("tests/fixtures/cargo-ws", &root);
        // Without the helpers that keep C state (and so stay out of line):
        // every call is inlined, strict builds pass (c_state.rs and
        // cargo_flow.rs test that state).
        strip_c_state(&root);
        // A second module of `mini` calling a helper: a second codegen
        // unit, so that units are generated on several threads.
        let lib = root.join("mini/src/lib.rs");
        let mut text = std::fs::read_to_string(&lib).unwrap();
        text.push_str(
            "\n/// A second codegen unit (added by wrapper_safety.rs).\npub mod second_unit {\n    \
             /// `add_mul` on `i32`.\n    pub fn add_mul_i32(a: i32, b: i32, c: i32) -> i32 {\n        \
             super::add_mul(a, b, c)\n    }\n}\n",
        );
        std::fs::write(&lib, text).unwrap();
        let mut ws = Ws {
            _dir: dir,
            root,
            built: false,
        };
        let stderr = ws.build_ok(&[]);
        ws.built = true;
        assert!(!stderr.contains("warning: cinline"), "{stderr}");
        Mutex::new(ws)
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}
