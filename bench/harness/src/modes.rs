//! The ways of building a workspace: each one `cargo build` or
//! `cargo cinline build` with its own flags and environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Tools;

/// The Rust target, given explicitly to the `xlto` build so that its
/// RUSTFLAGS reach the workload crates only, not build scripts and proc
/// macros (as Firefox and Chromium set them).
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// A build mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo build`: helpers called out of line (bindgen `wrap_static_fns`
    /// wrappers in cinline-build's static library).
    Plain,
    /// `cargo cinline build`: the `rustc-llvm` engine.
    Cinline,
    /// `CINLINE_ENGINE=llvm-tools cargo cinline build`: `llvm-link` and
    /// `clang -c`, the kernel's commands.
    CinlineLlvmTools,
    /// rustc's cross-language ThinLTO: `-C linker-plugin-lto`, C built with
    /// `clang -flto=thin` (`CC`, `CFLAGS`: cinline-build's helpers and
    /// every `cc`-crate build script, mimalloc's too), linked by lld.
    Xlto,
    /// The same functions written in Rust (`--features bench/native`).
    Native,
}

impl Mode {
    /// Every mode, in table order.
    pub const ALL: [Mode; 5] = [
        Mode::Plain,
        Mode::Cinline,
        Mode::CinlineLlvmTools,
        Mode::Xlto,
        Mode::Native,
    ];

    /// Its name on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Cinline => "cinline",
            Mode::CinlineLlvmTools => "cinline-llvm-tools",
            Mode::Xlto => "xlto",
            Mode::Native => "native",
        }
    }

    /// The mode named `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How the mode builds, for the results.
    pub fn how(self, tools: &Tools) -> String {
        match self {
            Mode::Plain => "`cargo build`".into(),
            Mode::Cinline => "`cargo cinline build`".into(),
            Mode::CinlineLlvmTools => "`CINLINE_ENGINE=llvm-tools cargo cinline build`".into(),
            Mode::Xlto => format!(
                "`CC={clang} CFLAGS=-flto=thin AR={ar} RUSTFLAGS=\"{flags}\" cargo build --target {TARGET}`",
                clang = tools.clang,
                ar = tools.llvm_ar,
                flags = xlto_rustflags(tools),
            ),
            Mode::Native => "`cargo build --features bench/native`".into(),
        }
    }

    /// The directory of the binaries built with `profile`.
    pub fn bin_dir(self, target_dir: &Path, profile: Profile) -> PathBuf {
        match self {
            Mode::Xlto => target_dir.join(TARGET).join(profile.dir()),
            _ => target_dir.join(profile.dir()),
        }
    }

    /// The command that builds `workspace` with `profile` in `target_dir`.
    pub fn build_command(
        self,
        tools: &Tools,
        workspace: &Path,
        target_dir: &Path,
        profile: Profile,
    ) -> Command {
        let mut cmd = Command::new("cargo");
        if matches!(self, Mode::Cinline | Mode::CinlineLlvmTools) {
            cmd.arg("cinline");
        }
        cmd.current_dir(workspace)
            .args(["build", "--profile", profile.name(), "--target-dir"])
            .arg(target_dir)
            .env("CARGO_TERM_COLOR", "never")
            .env("PATH", tools.path_with_cinline());
        // What would change the build from what the mode says.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "CARGO_TARGET_DIR",
            "CC",
            "CFLAGS",
            "AR",
            "CINLINE_ENGINE",
            "CINLINE_STRICT",
            "CINLINE_CODEGEN_ONCE",
        ] {
            cmd.env_remove(var);
        }
        match self {
            Mode::Plain | Mode::Cinline => {}
            Mode::CinlineLlvmTools => {
                cmd.env("CINLINE_ENGINE", "llvm-tools");
            }
            Mode::Native => {
                cmd.args(["--features", "bench/native"]);
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
}

fn xlto_rustflags(tools: &Tools) -> String {
    format!(
        "-Clinker-plugin-lto -Clinker={} -Clink-arg=-fuse-ld={}",
        tools.clang, tools.lld
    )
}

/// A cargo profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// `--profile release`.
    Release,
    /// `--profile dev`: the edit-compile loop.
    Dev,
}

impl Profile {
    /// cargo's name of it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Dev => "dev",
        }
    }

    /// The directory cargo builds it into.
    pub fn dir(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Dev => "debug",
        }
    }
}
