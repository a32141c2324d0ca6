//! `decide` over real cargo command lines and unknown options; the
//! option tables; the argument rewriters.

use super::*;

fn args(line: &str) -> Vec<OsString> {
    line.split_whitespace().map(OsString::from).collect()
}

fn handled(line: &str) -> Invocation {
    match decide(&args(line)) {
        Decision::Handle(inv) => *inv,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn a_cargo_release_library_build_is_handled() {
    let inv = handled(
        "--crate-name mini --edition=2021 src/lib.rs --error-format=json --crate-type lib \
         --emit=dep-info,metadata,link -C opt-level=3 -C embed-bitcode=no -C metadata=abc \
         -C extra-filename=-0123 --out-dir /t/release/deps -L dependency=/t/release/deps \
         -L native=/t/release/build/mini-sys-1/out -C target-cpu=native",
    );
    assert_eq!(inv.crate_name, "mini");
    assert_eq!(inv.stem(), "mini-0123");
    assert_eq!(inv.crate_types, ["lib"]);
    assert_eq!(inv.opt_level, OptLevel::O3);
    assert_eq!(inv.target_cpu.as_deref(), Some("native"));
    assert_eq!(
        inv.search_dirs,
        [
            PathBuf::from("/t/release/deps"),
            PathBuf::from("/t/release/build/mini-sys-1/out")
        ]
    );
    assert!(inv.archive_types().next().is_some() && !inv.links());
}

#[test]
fn tests_and_bins_link() {
    let inv = handled("--crate-name t src/lib.rs --emit=link --test --out-dir d");
    assert_eq!(inv.crate_types, ["bin"]);
    assert!(inv.links());
}

#[test]
fn what_is_not_handled_says_why() {
    assert_eq!(decide(&args("-vV")), Decision::NotCompilation);
    assert_eq!(
        decide(&args("- --crate-name ___ --print=file-names")),
        Decision::NotCompilation
    );
    let reason = |line| match decide(&args(line)) {
        Decision::PassThrough(reason) => reason,
        other => panic!("{line}: {other:?}"),
    };
    assert!(reason("--crate-name a --emit=dep-info,metadata --out-dir d").contains("no object"));
    assert!(
        reason("--crate-name a --crate-type proc-macro --emit=link --out-dir d")
            .contains("proc-macro")
    );
    assert!(reason("--crate-name a --emit=link -C lto=fat --out-dir d").contains("-C lto"));
    assert!(
        reason("--crate-name a --emit=link -Clinker-plugin-lto --out-dir d")
            .contains("linker-plugin-lto")
    );
}

/// Splits a command line as `cargo build -v` prints it (words, and
/// words in single quotes).
fn shell_words(line: &str) -> Vec<OsString> {
    let mut words = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut started) = (false, false);
    for c in line.chars() {
        match c {
            '\'' => (quoted, started) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(OsString::from(std::mem::take(&mut word)));
                }
                started = false;
            }
            c => (word, started) = (word + &c.to_string(), true),
        }
    }
    if started {
        words.push(word.into());
    }
    words
}

#[test]
fn the_option_tables_are_sorted_and_have_no_duplicates() {
    for pair in CODEGEN_OPTIONS.windows(2) {
        assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
    }
    for pair in HARMLESS_UNSTABLE_OPTIONS.windows(2) {
        assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
    }
}

#[test]
fn every_option_read_is_read() {
    for (key, usage) in CODEGEN_OPTIONS {
        // A value each option read accepts.
        let value = match *key {
            "code-model" => "small",
            "relocation-model" => "pic",
            _ => "1",
        };
        let read = read_codegen_option(&mut Invocation::default(), key, value).is_ok();
        assert_eq!(read, *usage == CodegenUse::Read, "-C {key}");
    }
}

/// Real command lines, copied from `cargo build -v` (cargo 1.95): a
/// build script (debug), a library (debug, incremental), a binary
/// (release) and a test harness (release); then other spellings, and
/// options cinline does not know.
#[test]
fn decisions_over_real_and_unknown_command_lines() {
    const HANDLED: &str = "";
    let cases: &[(&str, &str)] = &[
        (
            "--crate-name build_script_build --edition=2024 build.rs --error-format=json \
             --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type bin \
             --emit=dep-info,link -C embed-bitcode=no --check-cfg 'cfg(docsrs,test)' \
             --check-cfg 'cfg(feature, values())' -C metadata=d68a60be0c7323b2 \
             -C extra-filename=-b90e40f573b2c615 --out-dir /w/a/target/debug/build/a-b90e40f573b2c615 \
             -C incremental=/w/a/target/debug/incremental -L dependency=/w/a/target/debug/deps",
            HANDLED,
        ),
        (
            "--crate-name a --edition=2024 src/lib.rs --error-format=json \
             --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type lib \
             --emit=dep-info,metadata,link -C embed-bitcode=no -C debuginfo=2 \
             --check-cfg 'cfg(docsrs,test)' --check-cfg 'cfg(feature, values())' \
             -C metadata=c4b76d1b3cd540fa -C extra-filename=-0e6c79024f3fd5bb \
             --out-dir /w/a/target/debug/deps -C incremental=/w/a/target/debug/incremental \
             -L dependency=/w/a/target/debug/deps",
            HANDLED,
        ),
        (
            "--crate-name b --edition=2024 src/bin/b.rs --error-format=json \
             --json=diagnostic-rendered-ansi,artifacts,future-incompat --crate-type bin \
             --emit=dep-info,link -C opt-level=3 -C embed-bitcode=no \
             --check-cfg 'cfg(docsrs,test)' --check-cfg 'cfg(feature, values())' \
             -C metadata=f1dcada44c811b28 -C extra-filename=-7a34c7d79bafb28f \
             --out-dir /w/a/target/release/deps -C strip=debuginfo \
             -L dependency=/w/a/target/release/deps \
             --extern a=/w/a/target/release/deps/liba-48106c9287c313ad.rlib",
            HANDLED,
        ),
        (
            "--crate-name a --edition=2024 src/lib.rs --error-format=json \
             --json=diagnostic-rendered-ansi,artifacts,future-incompat --emit=dep-info,link \
             -C opt-level=3 -C embed-bitcode=no --test --check-cfg 'cfg(docsrs,test)' \
             --check-cfg 'cfg(feature, values())' -C metadata=79af5d5e5400c83f \
             -C extra-filename=-f1bf17284ed5f5cf --out-dir /w/a/target/release/deps \
             -C strip=debuginfo -L dependency=/w/a/target/release/deps",
            HANDLED,
        ),
        // A profile with `panic = "abort"`, `lto = "off"`, more units.
        (
            "--crate-name a src/lib.rs --crate-type lib --emit=dep-info,metadata,link \
             -C opt-level=3 -C panic=abort -C lto=off -C codegen-units=16 \
             -C debug-assertions=on -C overflow-checks=on --out-dir d",
            HANDLED,
        ),
        (
            "--crate-name a src/lib.rs --emit=link --codegen=opt-level=2 -Ctarget-cpu=native \
             -Z threads=2 --out-dir d",
            HANDLED,
        ),
        // A crate cargo builds with `lto = true`.
        (
            "--crate-name b src/main.rs --crate-type bin --emit=dep-info,link -C opt-level=3 \
             -C lto -C metadata=1 --out-dir d",
            "-C lto is on: LTO already sees through the helpers",
        ),
        (
            "--crate-name a src/lib.rs --crate-type lib --emit=dep-info,metadata,link \
             -C opt-level=3 -C linker-plugin-lto --out-dir d",
            "-C linker-plugin-lto is on: LTO already sees through the helpers",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -C profile-generate=/tmp/pgo --out-dir d",
            "-C profile-generate: profile instrumentation is rustc's pipeline, not cinline's",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -C frobnicate=yes --out-dir d",
            "unknown codegen option -C frobnicate",
        ),
        (
            "--crate-name a src/lib.rs --emit=link --codegen frobnicate --out-dir d",
            "unknown codegen option -C frobnicate",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -Zsanitizer=address --out-dir d",
            "unknown unstable option -Z sanitizer",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -C codegen-units=many --out-dir d",
            "-C codegen-units=many is not a number",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -C opt-level=fast --out-dir d",
            "invalid opt-level `fast` (expected 0, 1, 2, 3, s, z)",
        ),
        (
            "--crate-name a src/lib.rs --emit=link -C code-model=huge --out-dir d",
            "invalid code-model `huge` (expected tiny, small, kernel, medium, large)",
        ),
    ];
    for (line, expected) in cases {
        let got = match decide(&shell_words(line)) {
            Decision::Handle(_) => String::new(),
            Decision::PassThrough(why) => why,
            Decision::NotCompilation => "not a compilation".into(),
        };
        assert_eq!(&got, expected, "{line}");
    }
    let release_bin = handled_words(cases[2].0);
    assert_eq!(release_bin.opt_level, OptLevel::O3);
    assert_eq!(release_bin.externs, ["a"]);
    let spelled = handled_words(cases[5].0);
    assert_eq!(spelled.opt_level, OptLevel::O2);
    assert_eq!(spelled.target_cpu.as_deref(), Some("native"));
    assert_eq!(handled_words(cases[4].0).codegen_units, Some(16));
}

fn handled_words(line: &str) -> Invocation {
    match decide(&shell_words(line)) {
        Decision::Handle(inv) => *inv,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn incremental_is_dropped_in_either_spelling() {
    assert_eq!(
        without_codegen_option(
            &args(
                "a -C incremental=/x b -Cincremental=/y --codegen=incremental=/z \
                 --codegen incremental=/w -C opt-level=0"
            ),
            "incremental"
        ),
        args("a b -C opt-level=0")
    );
}

#[test]
fn emit_gains_a_kind_in_either_spelling() {
    assert_eq!(
        with_emit(&args("a --emit=dep-info,link b"), "llvm-bc"),
        args("a --emit=dep-info,link,llvm-bc b")
    );
    assert_eq!(
        with_emit(&args("--emit link"), "llvm-bc"),
        args("--emit link,llvm-bc")
    );
}
