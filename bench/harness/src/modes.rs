//! The five ways of building `bench/workloads`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::roles;
use crate::Tools;

/// The Rust target, given explicitly to the `xlto` build so that its
/// RUSTFLAGS reach the workload crates only, not build scripts and proc
/// macros (as Firefox and Chromium set them).
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// A build mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo build --release`: helpers called out of line (bindgen
    /// `wrap_static_fns` wrappers in cinline-build's static library).
    Plain,
    /// `cargo cinline build --release`: the `rustc-llvm` engine.
    Cinline,
    /// rustc's bitcode through `cinline link --engine llvm-tools`
    /// (`llvm-link --internalize` + `clang -c`, the kernel's commands).
    CinlineLlvmTools,
    /// rustc's cross-language ThinLTO: `-C linker-plugin-lto`, helpers built
    /// with `clang -flto=thin`, linked by lld.
    Xlto,
    /// The same functions written in Rust (`--features bench/native`).
    Native,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::Plain,
        Mode::Cinline,
        Mode::CinlineLlvmTools,
        Mode::Xlto,
        Mode::Native,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Cinline => "cinline",
            Mode::CinlineLlvmTools => "cinline-llvm-tools",
            Mode::Xlto => "xlto",
            Mode::Native => "native",
        }
    }

    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How the mode builds, for the results.
    pub fn how(self, tools: &Tools) -> String {
        match self {
            Mode::Plain => "`cargo build --release`".into(),
            Mode::Cinline => "`cargo cinline build --release`".into(),
            Mode::CinlineLlvmTools => "`cargo build --release` with the harness as `RUSTC_WRAPPER`: \
                `--emit=llvm-bc` for the workload binaries, then \
                `cinline link --engine llvm-tools --reconcile --opt-level 3` per binary at link time"
                .into(),
            Mode::Xlto => format!(
                "`CC={clang} CFLAGS=-flto=thin AR={ar} RUSTFLAGS=\"{flags}\" cargo build --release --target {TARGET}`",
                clang = tools.clang,
                ar = tools.llvm_ar,
                flags = xlto_rustflags(tools),
            ),
            Mode::Native => "`cargo build --release --features bench/native`".into(),
        }
    }

    /// The directory of the built binaries.
    pub fn bin_dir(self, target_dir: &Path) -> PathBuf {
        match self {
            Mode::Xlto => target_dir.join(TARGET).join("release"),
            _ => target_dir.join("release"),
        }
    }

    /// The command that builds the workspace in `target_dir`.
    pub fn build_command(self, tools: &Tools, workloads: &Path, target_dir: &Path) -> Command {
        let mut cmd = match self {
            Mode::Cinline => {
                let mut c = Command::new("cargo");
                c.arg("cinline");
                c
            }
            _ => Command::new("cargo"),
        };
        cmd.current_dir(workloads)
            .args(["build", "--release", "--target-dir"])
            .arg(target_dir)
            .env("CARGO_TERM_COLOR", "never")
            .env("PATH", tools.path_with_cinline());
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "CARGO_TARGET_DIR",
            "CC",
            "CFLAGS",
            "AR",
            roles::ROLE,
        ] {
            cmd.env_remove(var);
        }
        match self {
            Mode::Plain | Mode::Cinline => {}
            Mode::Native => {
                cmd.args(["--features", "bench/native"]);
            }
            Mode::CinlineLlvmTools => {
                cmd.env("RUSTC_WRAPPER", &tools.harness)
                    .env(roles::ROLE, "rustc-wrapper")
                    .env(roles::CINLINE, &tools.cinline)
                    .env(roles::LINK_LOG, target_dir.join("llvm-tools-links.jsonl"));
            }
            Mode::Xlto => {
                cmd.args(["--target", TARGET])
                    .env("CC", &tools.clang)
                    .env("CFLAGS", "-flto=thin")
                    .env("AR", &tools.llvm_ar)
                    .env("RUSTFLAGS", xlto_rustflags(tools));
            }
        }
        cmd
    }

    /// `cargo clean -p` of the workspace's own packages: what
    /// `workspace_build_s` rebuilds.
    pub fn clean_members_command(self, workloads: &Path, target_dir: &Path) -> Command {
        let mut cmd = Command::new("cargo");
        cmd.current_dir(workloads)
            .args(["clean", "--release", "--target-dir"])
            .arg(target_dir);
        if self == Mode::Xlto {
            cmd.args(["--target", TARGET]);
        }
        for p in crate::MEMBERS {
            cmd.args(["-p", p]);
        }
        cmd.env("CARGO_TERM_COLOR", "never");
        cmd
    }
}

fn xlto_rustflags(tools: &Tools) -> String {
    format!(
        "-Clinker-plugin-lto -Clinker={} -Clink-arg=-fuse-ld={}",
        tools.clang, tools.lld
    )
}
