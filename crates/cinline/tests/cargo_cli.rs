//! `cargo cinline`'s own arguments: help, `report` and its options, and
//! every other command handed to cargo unchanged, the build's link server
//! ended with cargo. Fast: no build runs (a shell script, or `true`, stands
//! in for cargo where one would).

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// `cargo cinline ARGS` (as cargo runs it: `cargo-cinline cinline ARGS`)
/// in `dir`, with no wrapper, target directory or other variable from the
/// environment that would change what it does ([`common::scrub`]).
fn cargo_cinline(dir: &Path, args: &[&str]) -> Command {
    cargo_cinline_by(Command::new(common::cargo_cinline()), dir, args)
}

/// [`cargo_cinline`] run by `runner`, a command whose last argument (or
/// program) is `cargo-cinline`.
fn cargo_cinline_by(mut runner: Command, dir: &Path, args: &[&str]) -> Command {
    runner
        .arg("cinline")
        .args(args)
        .current_dir(dir)
        // No `.cargo/config.toml` of this machine's cargo home is read.
        .env("CARGO_HOME", dir);
    common::scrub(&mut runner);
    runner
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_lists_the_commands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut cargo_cinline(dir.path(), &["--help"]));
    assert!(out.status.success(), "{out:?}");
    let help = stdout(&out);
    for word in ["report", "CARGO_COMMAND", "--version", "RUSTC_WRAPPER"] {
        assert!(help.contains(word), "`{word}` missing from:\n{help}");
    }

    let out = run(&mut cargo_cinline(dir.path(), &["report", "--help"]));
    assert!(out.status.success(), "{out:?}");
    let help = stdout(&out);
    for option in [
        "--release",
        "--profile <NAME>",
        "--target-dir <DIR>",
        "--manifest-path <PATH>",
        "--format <FORMAT>",
        "json",
    ] {
        assert!(help.contains(option), "`{option}` missing from:\n{help}");
    }
}

#[test]
fn report_on_an_empty_target_dir() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let target = target.to_str().unwrap();
    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "--format", "json", "--target-dir", target],
    ));
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json, serde_json::json!([]));

    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "--target-dir", target],
    ));
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).starts_with("no cinline records in "),
        "{out:?}"
    );
}

#[test]
fn report_prints_the_records_of_the_profile_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("target/release/cinline");
    std::fs::create_dir_all(&records).unwrap();
    let record = serde_json::json!({
        "crate_name": "app",
        "stem": "app-1",
        "kind": "link",
        "units": [{
            "name": "app-1.app.a-cgu.0.rcgu.o",
            "calls_before": 3,
            "left": 1,
            "replaced": true,
            "mismatches": [],
            "left_calls": [{"helper": "h_state", "calls": 1, "reason": "uses C state"}]
        }],
        "warnings": []
    });
    std::fs::write(records.join("app-1.link.json"), record.to_string()).unwrap();
    let target = dir.path().join("target");
    let target = target.to_str().unwrap();

    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "-r", "--target-dir", target, "--format=json"],
    ));
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["crate_name"], "app");
    assert_eq!(json[0]["units"][0]["left_calls"][0]["helper"], "h_state");

    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "--profile", "release", "--target-dir", target],
    ));
    let text = stdout(&out);
    assert!(
        text.contains("app (link): 1 unit(s) calling helpers, 3 helper call(s), 2 inlined, 1 left")
            && text.contains("- h_state (1 left): uses C state"),
        "{text}"
    );
    // The dev profile has none.
    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "--target-dir", target],
    ));
    assert!(
        stdout(&out).starts_with("no cinline records in "),
        "{out:?}"
    );
}

#[test]
fn an_unknown_report_option_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut cargo_cinline(dir.path(), &["report", "--bogus"]));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--bogus"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = run(&mut cargo_cinline(
        dir.path(),
        &["report", "--release", "--profile", "dev"],
    ));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// Any other command goes to cargo as given, with cinline as
/// `RUSTC_WRAPPER` and the target directory set; cargo's exit code is
/// `cargo cinline`'s.
#[test]
fn other_commands_run_cargo_with_their_arguments_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-cargo");
    std::fs::write(
        &fake,
        "#!/bin/sh\n\
         printf '%s\\n' \"$@\" > \"$OUT/args\"\n\
         printf '%s\\n' \"$RUSTC_WRAPPER\" \"$CARGO_TARGET_DIR\" > \"$OUT/env\"\n\
         exit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();

    let args = [
        "-v",
        "test",
        "--release",
        "--target-dir",
        "elsewhere",
        "--help",
        "--",
        "--nocapture",
    ];
    let out = run(cargo_cinline(dir.path(), &args)
        .env("CARGO", &fake)
        .env("OUT", dir.path()));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let seen = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(seen.lines().collect::<Vec<_>>(), args);
    let env = std::fs::read_to_string(dir.path().join("env")).unwrap();
    let env: Vec<&str> = env.lines().collect();
    assert_eq!(
        std::fs::canonicalize(env[0]).unwrap(),
        std::fs::canonicalize(common::cargo_cinline()).unwrap()
    );
    assert_eq!(env[1], "elsewhere");
}

/// The link server `cargo cinline` starts before it becomes cargo ends with
/// cargo, even a cargo that ends before the server has asked for a signal
/// at its parent's end: nothing of it (process, directory) is left.
#[test]
fn a_cargo_that_ends_at_once_leaves_no_link_server_behind() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // On one core, `cargo cinline` goes on (becomes `true`, which ends at
    // once) before the server it started runs at all.
    let true_program = Path::new("/bin/true");
    assert!(
        true_program.exists(),
        "the test needs {}",
        true_program.display()
    );
    for _ in 0..3 {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", "0"]).arg(common::cargo_cinline());
        let out = run(cargo_cinline_by(taskset, dir.path(), &["build"])
            .env("CARGO", true_program)
            .env("TMPDIR", &tmp));
        assert!(out.status.success(), "{out:?}");
    }
    let servers = || -> Vec<String> {
        let marker = format!("__CINLINE_LINK_SERVER={}", tmp.display());
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|p| Some((p.file_name(), std::fs::read(p.path().join("environ")).ok()?)))
            .filter(|(_, env)| {
                env.split(|&b| b == 0)
                    .any(|v| v.starts_with(marker.as_bytes()))
            })
            .map(|(pid, _)| pid.to_string_lossy().into_owned())
            .collect()
    };
    let left = |d: &Path| std::fs::read_dir(d).unwrap().count();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while (!servers().is_empty() || left(&tmp) > 0) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(servers(), Vec::<String>::new(), "link servers left running");
    assert_eq!(
        left(&tmp),
        0,
        "link server directories left in {}",
        tmp.display()
    );
}
