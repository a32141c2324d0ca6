//! The one support module of the tests of both crates (`crates/cinline/tests`
//! through `common/mod.rs`, `crates/cinline-build/tests` by `#[path]`):
//! running commands with nothing from the environment that would change
//! what they do ([`scrub`]), reading the symbols of an object or executable
//! ([`symbols`], [`symbols_where`]), and building a fixture workspace with
//! the real cargo ([`copy_workspace`], [`command`]): copy it to a scratch
//! directory and point its path dependency on `crates/cinline-build` at
//! this checkout. Fixtures are built in a [`Scratch`] directory.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use object::{Object, ObjectSymbol};

/// A scratch directory under `target/tmp`, removed when dropped.
///
/// A fixture built once per test binary lives in a `static`, which is never
/// dropped: a `TempDir` there stayed in `/tmp` after every run (800 MB for
/// a cargo workspace, until the disk was full). So every scratch directory
/// is named after the process that made it, and making one first removes
/// those of processes that have ended: a run leaves at most its own
/// behind, and the next run takes them away.
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// A new, empty directory.
    pub fn new() -> Scratch {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_ended(root);
        let path = root.join(format!(
            "{SCRATCH}{}-{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot make {}: {e}", path.display()));
        Scratch { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// How [`Scratch`] directories are named: this, the process id, `-`, and
/// a number.
const SCRATCH: &str = "scratch-";

/// Removes the [`Scratch`] directories under `root` whose process has
/// ended (a test binary's statics, or a test killed before it cleaned up).
fn remove_ended(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            // Another run may be removing it too.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Adds `text` at the end of the file at `path`.
pub fn append(path: &Path, text: &str) {
    let mut content = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    content.push_str(text);
    std::fs::write(path, content)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Variables of cargo, make and the C tools that would change how a test
/// builds, besides cinline's own ([`cinline_core::env::VARS`]).
const BUILD_VARS: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "CFLAGS",
    "CLANG_PATH",
    "LIBCLANG_PATH",
    "BINDGEN_EXTRA_CLANG_ARGS",
];

/// Prefixes of more such variables (cinline's undeclared ones, clang's).
pub const SCRUBBED_PREFIXES: &[&str] = &["CLANG", "CINLINE_"];

/// The variables [`scrub`] removes: [`BUILD_VARS`] and every public
/// variable of cinline but `RUSTC` (the toolchain the tests run with is
/// the one they test).
pub fn scrubbed() -> impl Iterator<Item = &'static str> {
    BUILD_VARS.iter().copied().chain(
        cinline_core::env::VARS
            .iter()
            .map(|v| v.name)
            .filter(|&n| n != cinline_core::env::RUSTC.name),
    )
}

/// Removes from `cmd`'s environment every variable of [`scrubbed`] and of
/// [`SCRUBBED_PREFIXES`], so that it sees the defaults.
pub fn scrub(cmd: &mut Command) -> &mut Command {
    for var in scrubbed() {
        cmd.env_remove(var);
    }
    #[allow(clippy::disallowed_methods)] // the test's own environment, not the build script's
    for (var, _) in std::env::vars_os() {
        if SCRUBBED_PREFIXES
            .iter()
            .any(|p| var.to_string_lossy().starts_with(p))
        {
            cmd.env_remove(&var);
        }
    }
    cmd
}

/// The names of the symbols of the object file or executable `path`
/// (its symbol table, `.symtab`; not the dynamic one).
pub fn symbols(path: &Path) -> BTreeSet<String> {
    symbols_where(path, |_| true)
}

/// The names of the symbols of `path` for which `keep` holds.
pub fn symbols_where(path: &Path, keep: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let data =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file = object::File::parse(&*data)
        .unwrap_or_else(|e| panic!("{} is not an object: {e}", path.display()));
    file.symbols()
        .filter_map(|s| s.name().ok())
        .filter(|n| keep(n))
        .map(str::to_string)
        .collect()
}

/// The names among `names` the object `path` still mentions as a symbol
/// (called and undefined, or kept as a local copy), sorted.
pub fn symbols_among(path: &Path, names: &[String]) -> Vec<String> {
    symbols_where(path, |n| names.iter().any(|h| h == n))
        .into_iter()
        .collect()
}

/// A fixture directory under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// Runs `cmd`, panicking with its output unless it succeeds; returns its
/// standard output.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd`, expecting it to fail; returns its output.
pub fn run_fail(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        !out.status.success(),
        "{cmd:?} succeeded but should have failed"
    );
    out
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Copies `from` to `to`, without `target` directories.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &dest);
            }
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Copies the workspace at `from` (relative to the repository root) into
/// `to`, and rewrites every relative `path = ".../crates/cinline-build"` of
/// its manifests (if any) to this checkout's absolute path.
pub fn copy_workspace(from: &str, to: &Path) {
    copy_dir(&repo_root().join(from), to);
    let build_crate = repo_root()
        .join("crates/cinline-build")
        .canonicalize()
        .unwrap();
    let (mut patched, mut mentions) = (0, 0);
    for manifest in manifests(to) {
        let text = std::fs::read_to_string(&manifest).unwrap();
        // Dependencies on cinline-build by path (comments aside).
        mentions += text
            .lines()
            .filter(|l| l.trim_start().starts_with("cinline-build") && l.contains("path"))
            .count();
        let lines: Vec<String> = text
            .lines()
            .map(|line| match line.find("path = \"") {
                Some(start) if line.contains("crates/cinline-build\"") => {
                    patched += 1;
                    let end = line[start + 8..].find('"').unwrap() + start + 8;
                    format!(
                        "{}path = {:?}{}",
                        &line[..start],
                        build_crate.display().to_string(),
                        &line[end + 1..]
                    )
                }
                _ => line.to_string(),
            })
            .collect();
        std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    }
    assert_eq!(
        patched, mentions,
        "{from}: a path dependency on cinline-build is not on `.../crates/cinline-build`"
    );
}

fn manifests(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, |p| p.file_name().is_some_and(|n| n == "Cargo.toml"))
}

/// The files under `dir`, at any depth, that `keep` accepts.
pub fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool + Copy) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path, keep));
        } else if keep(&path) {
            out.push(path);
        }
    }
    out
}

/// `program args...` run in `ws`, [`scrub`]bed.
pub fn command(program: impl AsRef<std::ffi::OsStr>, ws: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(ws);
    scrub(&mut cmd);
    cmd
}

/// Runs `cmd`, says how long `what` took, and fails the test with its
/// output unless it succeeded.
pub fn timed(cmd: &mut Command, what: &str) -> Output {
    let start = std::time::Instant::now();
    let out = cmd.output().unwrap();
    eprintln!("{what} took {:.1} s", start.elapsed().as_secs_f64());
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Removes the C state part of a copy of `tests/fixtures/cargo-ws` (its
/// `BEGIN C STATE` ... `END C STATE` blocks and the lines it prints): the
/// helpers with static state stay out of line by design, which tests of
/// strict mode and "every call inlined" must not meet.
pub fn strip_c_state(ws: &Path) {
    for file in [
        "mini-sys/mini.h",
        "mini-sys/helpers.c",
        "mini/src/lib.rs",
        "mini-app/src/main.rs",
    ] {
        let path = ws.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut kept = Vec::new();
        let mut inside = false;
        for line in text.lines() {
            if line.contains("BEGIN C STATE") {
                inside = true;
            } else if line.contains("END C STATE") {
                inside = false;
            } else if !inside {
                kept.push(line);
            }
        }
        assert!(!inside, "{file}: BEGIN C STATE without END");
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
    let expected = ws.join("mini-app/expected_output.txt");
    let text = std::fs::read_to_string(&expected).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            !["tickets:", "tally:", "hits seen by C:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    std::fs::write(&expected, kept.join("\n") + "\n").unwrap();
}
