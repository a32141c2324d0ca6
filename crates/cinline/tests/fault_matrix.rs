//! Faults: damaged bitcode, LLVM aborting, signals, outputs that must not
//! be replaced, and the messages of point 11 of issue #10.
//!
//! The mutation matrix takes `CINLINE_FAULT_CASES` (default 300) cases from
//! the seed `CINLINE_FAULT_SEED` (default 1), for longer runs from a script.

#![forbid(unsafe_code)]

mod common;

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{cinline, env_number, fixture, run_fail, run_ok, rustc_lib, CLANG};

/// The sample crate's bitcode and its helpers' bitcode, built with the real
/// rustc and clang.
struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn build() -> Inputs {
        let dir = tempfile::tempdir().unwrap();
        let src = fixture("sample");
        rustc_lib(
            &src.join("sample.rs"),
            "llvm-bc",
            &dir.path().join("sample.bc"),
            &["--crate-name=sample"],
        );
        run_ok(
            cinline()
                .arg("cc")
                .arg(src.join("helpers.c"))
                .arg("-o")
                .arg(dir.path().join("helpers.bc")),
        );
        run_ok(
            cinline()
                .arg("link")
                .arg(dir.path().join("sample.bc"))
                .arg("--helpers")
                .arg(dir.path().join("helpers.bc"))
                .arg("-o")
                .arg(dir.path().join("sample.o")),
        );
        Inputs { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temps_beside(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cinline-"))
        .collect()
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Mutates `bytes` (past the 4-byte magic, so that LLVM, not the magic
/// check, meets the damage): returns the probe's description.
fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) -> String {
    let len = bytes.len();
    match rng.below(3) {
        0 => {
            let at = 4 + rng.below(len - 4);
            bytes.truncate(at);
            format!("truncated at {at}")
        }
        1 => {
            let flips = 1 + rng.below(4);
            let mut at = Vec::new();
            for _ in 0..flips {
                let o = 4 + rng.below(len - 4);
                bytes[o] ^= 1 << rng.below(8);
                at.push(o.to_string());
            }
            format!("bit flips at {}", at.join(","))
        }
        _ => {
            let o = 4 + rng.below(len - 4);
            let n = (4 + rng.below(61)).min(len - o);
            bytes[o..o + n].fill(0);
            format!("{n} bytes zeroed at {o}")
        }
    }
}

/// Mutated crate and helper bitcode fed to `link` (as crate, as helper)
/// and `report` (`--crate`, `--helpers`): never a signal or a panic; a
/// failure is one error naming an input, with no output left.
#[test]
fn mutated_bitcode_never_takes_cinline_down() {
    let inputs = Inputs::build();
    let cases = env_number("CINLINE_FAULT_CASES", 300);
    let seed = env_number("CINLINE_FAULT_SEED", 1);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let commands = [
        "link (crate)",
        "link (helper)",
        "report --crate",
        "report --helpers",
    ];
    // command -> [accepted, refused naming the file, refused naming another input, crashes contained]
    let mut table = vec![[0usize; 4]; commands.len()];
    let mut failures = Vec::new();
    let mut misnamed = Vec::new();
    let start = Instant::now();
    for case in 0..cases {
        let which = rng.below(commands.len());
        let source = if which == 0 || which == 2 {
            "sample.bc"
        } else {
            "helpers.bc"
        };
        let mut bytes = std::fs::read(inputs.path(source)).unwrap();
        let probe = mutate(&mut bytes, &mut rng);
        let name = format!("m{case}.bc");
        let mutated = inputs.path(&name);
        std::fs::write(&mutated, &bytes).unwrap();
        let output = inputs.path("out.o");
        let (krate, helpers) = if source == "sample.bc" {
            (mutated.clone(), inputs.path("helpers.bc"))
        } else {
            (inputs.path("sample.bc"), mutated.clone())
        };
        let mut cmd = cinline();
        if which < 2 {
            cmd.arg("link")
                .arg(&krate)
                .arg("--helpers")
                .arg(&helpers)
                .arg("-o")
                .arg(&output);
        } else {
            cmd.arg("report")
                .arg(inputs.path("sample.o"))
                .arg("--helpers")
                .arg(&helpers)
                .arg("--crate")
                .arg(&krate);
        }
        let out = cmd.output().unwrap();
        let text = stderr(&out);
        let what = format!("case {case}: {} of {source}, {probe}", commands[which]);
        let row = &mut table[which];
        match out.status.code() {
            None => failures.push(format!("{what}: killed by a signal:\n{text}")),
            Some(0) => row[0] += 1,
            Some(1) => {
                let errors: Vec<&str> = text
                    .lines()
                    .filter(|l| l.starts_with("cinline: error:"))
                    .collect();
                if text.contains("panicked") || errors.len() != 1 {
                    failures.push(format!("{what}: not one error:\n{text}"));
                } else if errors[0].contains(&name) {
                    row[1] += 1;
                } else if errors[0].contains("sample.bc") || errors[0].contains("helpers.bc") {
                    // Known: the merged module's verifier names the crate.
                    row[2] += 1;
                    misnamed.push(format!("{what}: {}", errors[0]));
                } else {
                    failures.push(format!("{what}: the error names no input:\n{text}"));
                }
                if errors.iter().any(|e| e.contains("LLVM crashed")) {
                    row[3] += 1;
                }
                if which < 2 && output.exists() {
                    failures.push(format!("{what}: failed but left {}", output.display()));
                }
            }
            Some(code) => failures.push(format!("{what}: exit {code}:\n{text}")),
        }
        let _ = std::fs::remove_file(&output);
        let _ = std::fs::remove_file(&mutated);
        let left = temps_beside(inputs.dir.path());
        if !left.is_empty() {
            failures.push(format!("{what}: temporary files left: {left:?}"));
        }
    }
    let mut summary = format!(
        "fault matrix: {cases} cases, seed {seed}, {:.1} s\n\
         probe                | accepted | refused, file named | refused, other input named | of which LLVM crashes contained\n",
        start.elapsed().as_secs_f64()
    );
    for (command, row) in commands.iter().zip(&table) {
        writeln!(
            summary,
            "{command:<20} | {:>8} | {:>19} | {:>26} | {:>3}",
            row[0], row[1], row[2], row[3]
        )
        .unwrap();
    }
    for line in &misnamed {
        writeln!(summary, "other input named: {line}").unwrap();
    }
    eprintln!("{summary}");
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n\n"));
}

/// An LLVM abort in `cinline link` (injected: a worker aborts when it hands
/// the file to LLVM): one error naming the file and LLVM's message, exit 1,
/// no output, no temporary file.
#[test]
fn an_llvm_abort_is_an_error_naming_the_file() {
    let inputs = Inputs::build();
    let output = inputs.path("crashed.o");
    let out = run_fail(
        cinline()
            .env("__CINLINE_FAULT", "helpers.bc")
            .arg("link")
            .arg(inputs.path("sample.bc"))
            .arg("--helpers")
            .arg(inputs.path("helpers.bc"))
            .arg("-o")
            .arg(&output),
    );
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line:\n{text}");
    assert!(
        text.contains("helpers.bc: LLVM crashed (SIGABRT)"),
        "{text}"
    );
    assert!(text.contains("LLVM ERROR: injected fault"), "{text}");
    assert!(!output.exists());
    assert!(temps_beside(inputs.dir.path()).is_empty());
}

/// A directory with a helper manifest for the sample's helpers, as
/// `cinline-build` leaves in `OUT_DIR`.
fn manifest_dir(inputs: &Inputs) -> PathBuf {
    let dir = inputs.path("out_dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(inputs.path("helpers.bc"), dir.join("h.bc")).unwrap();
    let symbols: Vec<String> = common::helper_names();
    let rustc = cinline_host_llvm();
    let manifest = serde_json_like(&[
        ("format", "1".into()),
        ("package", "\"sample\"".into()),
        ("target", format!("\"{}\"", rustc.0)),
        ("llvm_triple", format!("\"{}\"", rustc.0)),
        ("llvm_version", format!("\"{}\"", rustc.1)),
        ("bitcode", "[\"h.bc\"]".into()),
        (
            "symbols",
            format!(
                "[{}]",
                symbols
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
    ]);
    std::fs::write(dir.join("sample.cinline.json"), manifest).unwrap();
    // The always-linked fallback library, for binaries.
    run_ok(
        Command::new(CLANG)
            .args(["-O2", "-c"])
            .arg(fixture("sample").join("helpers.c"))
            .arg("-o")
            .arg(dir.join("helpers.o")),
    );
    run_ok(
        Command::new("ar")
            .arg("crs")
            .arg(dir.join("libsamplehelpers.a"))
            .arg(dir.join("helpers.o")),
    );
    dir
}

fn serde_json_like(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", body.join(","))
}

/// rustc's host triple and LLVM version (`rustc -vV`).
fn cinline_host_llvm() -> (String, String) {
    let text = run_ok(Command::new("rustc").arg("-vV"));
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .to_string()
    };
    (field("host:"), field("LLVM version:"))
}

/// The rustc wrapper (`cinline rustc ...`) for a crate whose helpers make
/// the worker abort: rustc runs as cargo asked, one warning names the
/// crate; `CINLINE_STRICT=1` fails instead.
#[test]
fn the_wrapper_falls_back_when_the_worker_dies() {
    let inputs = Inputs::build();
    let dir = manifest_dir(&inputs);
    let out_dir = inputs.path("target");
    std::fs::create_dir_all(&out_dir).unwrap();
    let wrapper = |strict: bool| {
        let mut cmd = cinline();
        cmd.env("__CINLINE_FAULT", "h.bc")
            .arg("rustc")
            .args([
                "--crate-name",
                "sample",
                "--edition=2021",
                "--crate-type",
                "lib",
                "--emit=link",
                "-Copt-level=2",
                "-Cpanic=abort",
                "-Ccodegen-units=1",
            ])
            .arg(fixture("sample").join("sample.rs"))
            .arg(format!("-Lnative={}", dir.display()))
            .arg("--out-dir")
            .arg(&out_dir);
        if strict {
            cmd.env("CINLINE_STRICT", "1");
        }
        cmd.output().unwrap()
    };
    let out = wrapper(false);
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("warning: cinline: crate `sample`: ")
            && text.contains("h.bc: LLVM crashed (SIGABRT)")
            && text.contains("built without cinline"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(out_dir.join("libsample.rlib").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".bc"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let out = wrapper(true);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error: cinline: crate `sample`: "), "{text}");
}

/// The linker wrapper (rustc's linker, set up by the wrapper for a binary)
/// whose worker dies: with rustc's objects (`CINLINE_CODEGEN_ONCE=0`) the
/// real linker runs with the original arguments; with rustc's bitcode (the
/// default), the link fails and the wrapper builds the binary again as
/// asked. Either way the binary works, the wrapper shows the warning,
/// naming the crash, and no temporary file is left behind (the link
/// server's included).
#[test]
fn the_linker_falls_back_when_the_worker_dies() {
    let inputs = Inputs::build();
    let program = Program::write(
        &inputs,
        "prog",
        "extern \"C\" { fn rust_helper_add_mul(a: i32, b: i32, c: i32) -> i32; }\n\
         fn main() { let x = std::hint::black_box(6); println!(\"{}\", unsafe { rust_helper_add_mul(x, 1, 6) }); }\n",
    );
    for (once, fallback) in [
        ("0", "linked without cinline"),
        ("1", "built without cinline"),
    ] {
        let _ = std::fs::remove_file(program.out_dir.join(&program.name));
        let tmp = inputs.path(&format!("tmp-{once}"));
        std::fs::create_dir_all(&tmp).unwrap();
        let out = program
            .build()
            .env("__CINLINE_FAULT", "h.bc")
            .env("CINLINE_CODEGEN_ONCE", once)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
        assert!(left.is_empty(), "CINLINE_CODEGEN_ONCE={once}: {left:?}");
        let text = stderr(&out);
        assert!(out.status.success(), "{text}");
        // Generating the program's units on two threads, both may be in
        // LLVM when one aborts: then every file in use is named.
        let named = crash_named(&text, "h.bc", once == "1");
        assert!(
            text.contains("warning: cinline: crate `prog`: ") && named && text.contains(fallback),
            "CINLINE_CODEGEN_ONCE={once}: {text}"
        );
        assert_eq!(program.run().trim(), "42");
    }
}

/// SIGTERM during an `--engine llvm-tools` link (clang made slow): the
/// worker's children stop, no temporary file is left beside the output or
/// in the scratch directory, exit 128 + 15.
#[test]
fn sigterm_stops_the_children_and_removes_temp_files() {
    let inputs = Inputs::build();
    let bin = inputs.path("slowbin");
    std::fs::create_dir_all(&bin).unwrap();
    let llvm_link = common_which("llvm-link-22");
    std::os::unix::fs::symlink(llvm_link, bin.join("llvm-link")).unwrap();
    let pid_file = inputs.path("clang.pid");
    let clang = bin.join("clang");
    std::fs::write(
        &clang,
        format!(
            "#!/bin/sh\ncase \"$1\" in --version) exec {CLANG} --version;; esac\n\
             echo $$ > {}\nexec sleep 60\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&clang, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tmp = inputs.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let output = inputs.path("slow.o");
    let mut child = cinline()
        .env("TMPDIR", &tmp)
        .arg("link")
        .arg(inputs.path("sample.bc"))
        .arg("--helpers")
        .arg(inputs.path("helpers.bc"))
        .args(["--engine", "llvm-tools", "--llvm-bin"])
        .arg(&bin)
        .arg("-o")
        .arg(&output)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the slow clang never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let clang_pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(clang_pid) {
        assert!(Instant::now() < deadline, "clang {clang_pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!output.exists());
    assert!(temps_beside(inputs.dir.path()).is_empty());
    let scratch: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(scratch.is_empty(), "left in TMPDIR: {scratch:?}");
}

/// Whether process `pid` runs (a zombie does not count).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn common_which(name: &str) -> PathBuf {
    let text = run_ok(
        Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}")),
    );
    PathBuf::from(text.trim())
}

/// `-o` through a symlink, at a device, at a directory, at an input; the
/// permissions of new and replaced outputs.
#[test]
fn outputs_are_written_through_or_refused() {
    let inputs = Inputs::build();
    let link = |output: &Path| {
        cinline()
            .arg("link")
            .arg(inputs.path("sample.bc"))
            .arg("--helpers")
            .arg(inputs.path("helpers.bc"))
            .arg("-o")
            .arg(output)
            .output()
            .unwrap()
    };
    // A symlink stays a link; its target gets the object, keeps its mode
    // less setuid.
    let target = inputs.path("target.o");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o4750)).unwrap();
    let sym = inputs.path("sym.o");
    std::os::unix::fs::symlink(&target, &sym).unwrap();
    let out = link(&sym);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&sym)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read(&target).unwrap().starts_with(b"\x7fELF"));
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o750);
    // A new output: 0666 less the umask.
    let fresh = inputs.path("fresh.o");
    assert!(link(&fresh).status.success());
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode & 0o7111, 0, "{mode:o}");
    assert_eq!(mode & 0o600, 0o600, "{mode:o}");
    // A character device is written into, never replaced.
    let out = link(Path::new("/dev/null"));
    assert!(out.status.success(), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata("/dev/null").unwrap();
    use std::os::unix::fs::FileTypeExt;
    assert!(meta.file_type().is_char_device());
    // A directory and an input are refused, before any work.
    let dir_out = link(inputs.dir.path());
    assert_eq!(dir_out.status.code(), Some(1));
    assert!(
        stderr(&dir_out).contains("it is a directory"),
        "{}",
        stderr(&dir_out)
    );
    let spelled = inputs.dir.path().join(".").join("helpers.bc");
    let before = std::fs::read(inputs.path("helpers.bc")).unwrap();
    let input_out = link(&spelled);
    assert_eq!(input_out.status.code(), Some(1));
    assert!(
        stderr(&input_out).contains("it is the input"),
        "{}",
        stderr(&input_out)
    );
    assert_eq!(std::fs::read(inputs.path("helpers.bc")).unwrap(), before);
    // `cinline cc -o` its own input.
    let c = inputs.path("h.c");
    std::fs::copy(fixture("sample").join("helpers.c"), &c).unwrap();
    let out = cinline()
        .arg("cc")
        .arg(&c)
        .arg("-o")
        .arg(&c)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("it is the input"), "{}", stderr(&out));
}

/// Point 11's messages: an ELF object as the crate, a directory given to
/// `cinline cc`, an explicit clang that does not exist or does not run.
#[test]
fn messages_name_the_file_and_what_to_do() {
    let inputs = Inputs::build();
    let out = run_fail(
        cinline()
            .arg("link")
            .arg(inputs.path("sample.o"))
            .arg("--helpers")
            .arg(inputs.path("helpers.bc"))
            .arg("-o")
            .arg(inputs.path("x.o")),
    );
    let text = stderr(&out);
    assert!(
        text.contains("sample.o: not LLVM bitcode")
            && text.contains("ELF object file")
            && text.contains("rustc --emit=llvm-bc"),
        "{text}"
    );

    let out = run_fail(
        cinline()
            .arg("cc")
            .arg(inputs.dir.path())
            .arg("-o")
            .arg(inputs.path("h.bc")),
    );
    let text = stderr(&out);
    assert!(
        text.contains("no .c input given")
            && text.contains(&format!("`{}` is a directory", inputs.dir.path().display())),
        "{text}"
    );

    let helpers_c = fixture("sample").join("helpers.c");
    for (how, value) in [
        ("env", "/nonexistent/clang"),
        ("flag", "/nonexistent/clang"),
        ("env", "/bin/true"),
    ] {
        let mut cmd = cinline();
        cmd.arg("cc");
        if how == "env" {
            cmd.env("CLANG", value);
        } else {
            cmd.args(["--clang", value]);
        }
        let out = run_fail(cmd.arg(&helpers_c).arg("-o").arg(inputs.path("h.bc")));
        let text = stderr(&out);
        assert!(text.contains(&format!("clang {value} (from ")), "{text}");
        assert!(!inputs.path("h.bc").exists());
    }
}

/// What the wrapper printed for one rustc call made as cargo makes it
/// (`--error-format=json --json=artifacts`): the metadata notices cargo
/// pipelines on, and the diagnostics naming `unused_fn`.
fn notices_and_diagnostics(out: &Output) -> (usize, usize) {
    let text = stderr(out);
    let notices = text
        .lines()
        .filter(|l| l.starts_with(r#"{"$message_type":"artifact""#) && l.contains(".rmeta\""))
        .count();
    let diagnostics = text
        .lines()
        .filter(|l| l.starts_with(r#"{"$message_type":"diagnostic""#) && l.contains("unused_fn"))
        .count();
    (notices, diagnostics)
}

/// cargo starts the crates that need a library's metadata when rustc says
/// it is written: the wrapper passes that notice on once, and rustc's
/// diagnostics once, whether cinline's build of the crate works or fails
/// (then rustc runs again as cargo asked, and its notice is not repeated:
/// cargo's job queue asserts a crate's metadata is announced once).
#[test]
fn the_metadata_notice_and_the_diagnostics_are_shown_once() {
    let inputs = Inputs::build();
    let dir = manifest_dir(&inputs);
    // The sample with a warning of rustc's.
    let src = inputs.path("sample_warns.rs");
    let mut text = std::fs::read_to_string(fixture("sample").join("sample.rs")).unwrap();
    text.push_str("\nfn unused_fn() {}\n");
    std::fs::write(&src, text).unwrap();
    let wrapper = |out_dir: &Path, opt_level: &str| {
        cinline()
            .env("CINLINE_LOG", "1")
            // The opt-level 0 call below is cinline's too.
            .env("CINLINE_UNOPTIMIZED", "1")
            .arg("rustc")
            .args([
                "--crate-name",
                "sample",
                "--edition=2021",
                "--error-format=json",
                "--json=diagnostic-rendered-ansi,artifacts,future-incompat",
                "--crate-type",
                "lib",
                "--emit=dep-info,metadata,link",
                opt_level,
                "-Cpanic=abort",
                "-Ccodegen-units=1",
            ])
            .arg(&src)
            .arg(format!("-Lnative={}", dir.display()))
            .arg("--out-dir")
            .arg(out_dir)
            .output()
            .unwrap()
    };

    let built = inputs.path("built");
    std::fs::create_dir_all(&built).unwrap();
    let out = wrapper(&built, "-Copt-level=2");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(notices_and_diagnostics(&out), (1, 1), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("warning: cinline"),
        "{}",
        stderr(&out)
    );

    // cinline's rustc call fails after the metadata is written: it cannot
    // copy the bitcode cinline asks for through a dangling link (done once
    // the code is generated: many functions, unoptimized, make that well
    // after the metadata). The call cargo asked for writes no bitcode.
    let mut text = std::fs::read_to_string(&src).unwrap();
    for i in 0..3000 {
        writeln!(
            text,
            "pub fn f{i}(x: u64) -> u64 {{ let mut s = x; for j in 0..(x % 7) {{ s = s.wrapping_mul(31) ^ j; }} s }}"
        )
        .unwrap();
    }
    std::fs::write(&src, text).unwrap();
    let failed = inputs.path("failed");
    std::fs::create_dir_all(&failed).unwrap();
    std::os::unix::fs::symlink(inputs.path("missing/sample.bc"), failed.join("sample.bc")).unwrap();
    let out = wrapper(&failed, "-Copt-level=0");
    let text = stderr(&out);
    assert!(
        text.contains("metadata announced to cargo already"),
        "the fallback must follow a notice sent on:\n{text}"
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("warning: cinline: crate `sample`: ")
            && text.contains("the build with cinline failed"),
        "{text}"
    );
    assert_eq!(notices_and_diagnostics(&out), (1, 1), "{text}");
    assert!(failed.join("libsample.rlib").is_file());
}

/// A program calling the sample's helpers, written into the inputs as
/// `<name>.rs`, to be built by `cinline rustc` as `cargo cinline` would.
struct Program {
    name: String,
    main: PathBuf,
    /// The sample's helper manifest ([`manifest_dir`]).
    manifests: PathBuf,
    out_dir: PathBuf,
}

impl Program {
    fn write(inputs: &Inputs, name: &str, source: &str) -> Program {
        let main = inputs.path(&format!("{name}.rs"));
        std::fs::write(&main, source).unwrap();
        let out_dir = inputs.path(&format!("{name}-out"));
        std::fs::create_dir_all(&out_dir).unwrap();
        Program {
            name: name.to_string(),
            main,
            manifests: manifest_dir(inputs),
            out_dir,
        }
    }

    /// `cinline rustc` building it optimized, cinline being rustc's
    /// wrapper.
    fn build(&self) -> Command {
        let mut cmd = cinline();
        cmd.arg("rustc")
            .args([
                "--crate-name",
                &self.name,
                "--edition=2021",
                "--crate-type",
                "bin",
            ])
            .args(["--emit=link", "-Copt-level=2"])
            .arg(&self.main)
            .arg(format!("-Lnative={}", self.manifests.display()))
            .args(["-l", "static=samplehelpers"])
            .arg("--out-dir")
            .arg(&self.out_dir);
        cmd
    }

    /// What it prints, built.
    fn run(&self) -> String {
        run_ok(&mut Command::new(self.out_dir.join(&self.name)))
    }
}

/// Whether the warning `text` names `file` as the input LLVM aborted on:
/// alone, or, where several threads may have been in LLVM at the time
/// (`several`), among every file then in use.
fn crash_named(text: &str, file: &str, several: bool) -> bool {
    text.contains(&format!("{file}: LLVM crashed (SIGABRT)"))
        || (several
            && text.contains("LLVM crashed (SIGABRT) on one of the inputs")
            && text.contains(file))
}

/// A binary's second codegen unit (linked into the first before anything
/// else) on which LLVM aborts: the crash names that unit's file, the
/// wrapper builds the binary again as asked, and it works.
#[test]
fn a_crash_on_a_binarys_second_unit_names_it_and_falls_back() {
    let inputs = Inputs::build();
    // `digits` in a module of its own: rustc puts it in the other unit.
    let program = Program::write(
        &inputs,
        "units",
        "extern \"C\" { fn rust_helper_add_mul(a: i32, b: i32, c: i32) -> i32; }\n\
         mod digits { pub fn sum(mut n: u64) -> u64 { let mut s = 0; while n > 0 { s += n % 10; n /= 10; } s } }\n\
         fn main() { let x = std::hint::black_box(6); let y = unsafe { rust_helper_add_mul(x, 1, 6) };\n\
         println!(\"{} {}\", y, digits::sum(std::hint::black_box(123456789))); }\n",
    );
    let out = program
        .build()
        .env("__CINLINE_FAULT", "-cgu.1.rcgu.o")
        .output()
        .unwrap();
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    // The allocator shim's unit, generated on another thread meanwhile,
    // may be named with it.
    assert!(
        text.contains("warning: cinline: crate `units`: ")
            && crash_named(&text, "-cgu.1.rcgu.o", true)
            && text.contains("built without cinline"),
        "{text}"
    );
    assert_eq!(program.run().trim(), "42 45");
}
