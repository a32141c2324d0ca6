//! `cargo cinline <command> [args]`: cargo with cinline as `RUSTC_WRAPPER`
//! ([`exec_cargo`]), and the records `cargo cinline report` shows
//! ([`records`]). The binary parses the arguments and prints.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::record::Record;
use super::{chain, env_keys, log};
use crate::getenv;

/// Why `cargo cinline` could not run cargo.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubcommandError {
    /// The path of this executable, which becomes `RUSTC_WRAPPER`, is
    /// unknown.
    #[error("cannot find its own executable")]
    OwnExecutable(#[source] std::io::Error),
    /// The rustc wrapper the user configured, to be chained, is missing.
    #[error(
        "the rustc wrapper `{value}` set by {set_by} is not an executable file \
         ({} not found); install it, or fix or unset {set_by}",
        program.display()
    )]
    WrapperNotFound {
        /// The setting as written.
        value: String,
        /// Where it was set.
        set_by: chain::Source,
        /// The program it names.
        program: PathBuf,
    },
    /// A variable of cinline's has a value it does not take: checked
    /// before cargo starts, so that it is one error and not a warning per
    /// crate.
    #[error(transparent)]
    InvalidValue(#[from] crate::env::InvalidValue),
    /// cargo did not start.
    #[error("cannot run cargo")]
    RunCargo(#[source] std::io::Error),
}

/// The cargo to run: `$CARGO` (set by cargo for its subcommands), else
/// `cargo`.
fn cargo_program() -> OsString {
    getenv("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The target directory `cargo cinline` builds in: `explicit`
/// (`--target-dir`) or `CARGO_TARGET_DIR` if given, else `cinline/` inside
/// the target directory cargo would use for `args` (`build.target-dir`
/// from `--config`, `CARGO_BUILD_TARGET_DIR` or a configuration file,
/// else `target/` of the workspace of `manifest_path`, else of the current
/// directory). A separate directory, as cargo-llvm-cov does, because
/// cargo's fingerprints do not know about the wrapper: a plain `cargo
/// build` would otherwise reuse inlined libraries, and `cargo cinline`
/// plain ones. Read from the files where they are plain (no `cargo`
/// process before the build: 15-30 ms), else asked of `cargo metadata`.
/// `None` if cargo cannot tell.
pub fn target_dir(
    explicit: Option<&Path>,
    manifest_path: Option<&Path>,
    args: &[OsString],
) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    if let Some(dir) = getenv("CARGO_TARGET_DIR") {
        return Some(dir.into());
    }
    let cwd = std::env::current_dir().ok()?;
    let configs = super::chain::config_args(args);
    // A `--config FILE` may set it: cargo reads the file.
    if !configs.iter().any(|c| super::chain::is_config_file(c)) {
        let configured =
            super::chain::build_setting(args, &cwd, "target-dir", "CARGO_BUILD_TARGET_DIR")
                .map(|(value, _, base)| base.join(value));
        let start = match manifest_path {
            Some(path) => cwd.join(path).parent()?.to_path_buf(),
            None => cwd,
        };
        if let Some(dir) =
            configured.or_else(|| super::workspace::root(&start).map(|root| root.join("target")))
        {
            return Some(dir.join("cinline"));
        }
    }
    let mut cmd = Command::new(cargo_program());
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    for config in &configs {
        cmd.arg("--config").arg(config);
    }
    if let Some(path) = manifest_path {
        cmd.arg("--manifest-path").arg(path);
    }
    let output = cmd.stderr(std::process::Stdio::inherit()).output().ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    Some(PathBuf::from(metadata["target_directory"].as_str()?).join("cinline"))
}

/// [`target_dir`] for the cargo arguments `args`, which are cargo's to
/// parse: only `--target-dir DIR`, `--target-dir=DIR` and `--manifest-path
/// PATH` are looked at.
fn target_dir_of_cargo_args(args: &[OsString]) -> Option<PathBuf> {
    let texts: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let explicit = match texts.iter().position(|a| a == "--target-dir") {
        Some(i) => Some(PathBuf::from(texts.get(i + 1)?)),
        None => texts
            .iter()
            .find_map(|a| a.strip_prefix("--target-dir="))
            .map(PathBuf::from),
    };
    let manifest_path = texts
        .iter()
        .position(|a| a == "--manifest-path")
        .and_then(|i| texts.get(i + 1))
        .map(PathBuf::from);
    target_dir(explicit.as_deref(), manifest_path.as_deref(), args)
}

/// Becomes `cargo ARGS` (a cargo command and its arguments, unchanged) with
/// this executable as `RUSTC_WRAPPER`, the wrapper the user had chained
/// behind it, in the [`target_dir`], and `cinline-cc` as the C compiler of
/// build scripts ([`crate::capture`]): `exec`, as cargo itself hands over
/// to its subcommands, so that cargo's exit status (or signal) is the
/// command's and no process waits for it. Returns only if cargo could not
/// be run. What the user should know before cargo starts goes to `note`.
pub fn exec_cargo(args: &[OsString], note: &mut dyn FnMut(String)) -> SubcommandError {
    match cargo_command(args, note) {
        Ok(mut cmd) => {
            use std::os::unix::process::CommandExt;
            // The build's link server: it outlives this process, which
            // becomes cargo, and ends with cargo (dropped only if cargo
            // cannot start).
            let server = super::link_server::Server::bind().map(|mut server| {
                server.start(super::link_server::Scope::Build, &[]);
                cmd.env(env_keys::BUILD_SOCKET, server.socket());
                server
            });
            let error = cmd.exec();
            drop(server);
            SubcommandError::RunCargo(error)
        }
        Err(e) => e,
    }
}

/// The command [`exec_cargo`] becomes.
fn cargo_command(
    args: &[OsString],
    note: &mut dyn FnMut(String),
) -> Result<Command, SubcommandError> {
    // Values cinline would refuse for every crate are refused before cargo
    // starts.
    crate::env::engine()?;
    crate::env::inline_budget()?;
    crate::env::unit_parts()?;
    let me = std::env::current_exe().map_err(SubcommandError::OwnExecutable)?;
    let mut cmd = Command::new(cargo_program());
    cmd.args(args)
        .env("RUSTC_WRAPPER", &me)
        .env(env_keys::WRAPPER, "1");
    // A wrapper the user already had (sccache...) is called in turn, unless
    // it is cinline again (which would call itself without end).
    let cwd = std::env::current_dir().unwrap_or_default();
    cmd.env_remove(env_keys::CHAIN_WRAPPER);
    if let Some(chained) = chain::configured(args, &cwd) {
        if chain::is_self(&chained.program) {
            log(|| {
                format!(
                    "{} ({}) is cinline itself: not chained",
                    chained.value, chained.source
                )
            });
        } else if crate::toolchain::which(chained.program.as_os_str()).is_none() {
            return Err(SubcommandError::WrapperNotFound {
                value: chained.value,
                set_by: chained.source,
                program: chained.program,
            });
        } else {
            cmd.env(env_keys::CHAIN_WRAPPER, &chained.program);
        }
    }
    cmd.env_remove("CARGO_BUILD_RUSTC_WRAPPER");
    if crate::env::capture() {
        match crate::capture::setup::cargo_env() {
            Ok(vars) => {
                cmd.envs(vars);
            }
            Err(why) => note(format!(
                "C compiled by build scripts is not captured: {why} (set {}=0 to say nothing)",
                crate::env::CAPTURE.name
            )),
        }
    }
    if let Some(dir) = target_dir_of_cargo_args(args) {
        cmd.env("CARGO_TARGET_DIR", dir);
    }
    Ok(cmd)
}

/// Which build's records `cargo cinline report` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportQuery {
    /// The cargo profile (`dev` if `None`).
    pub profile: Option<String>,
    /// The target directory as given to the build (`--target-dir`).
    pub target_dir: Option<PathBuf>,
    /// The workspace's `Cargo.toml`, to find its target directory.
    pub manifest_path: Option<PathBuf>,
}

/// The records of one build.
#[derive(Debug, Clone, Default)]
pub struct Records {
    /// The directory they were read from.
    pub dir: PathBuf,
    /// One per crate (or link), sorted by crate, kind and stem; empty if
    /// there were none.
    pub records: Vec<Record>,
    /// The C captured from build scripts, per package.
    pub captured: Vec<crate::capture::summary::PackageCapture>,
}

/// The output directory of cargo's `profile`: `dev` and `test` build into
/// `debug`, `bench` into `release`, any other profile into its own name.
pub fn profile_dir(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}

/// The records the wrapper left for the build `query` names
/// (`<target-dir>/<profile>/cinline`).
pub fn records(query: &ReportQuery) -> Records {
    let target_dir = target_dir(
        query.target_dir.as_deref(),
        query.manifest_path.as_deref(),
        &[],
    )
    .unwrap_or_else(|| "target/cinline".into());
    let profile = profile_dir(query.profile.as_deref().unwrap_or("dev"));
    let dir = target_dir.join(profile).join("cinline");
    let records = Record::load_all(&dir);
    Records {
        captured: crate::capture::summary::summarize(&target_dir.join(profile), &records),
        records,
        dir,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_directory_comes_from_the_command_line_config_or_the_workspace() {
        if getenv("CARGO_TARGET_DIR").is_some() {
            return; // it wins over both, as in cargo
        }
        let cwd = std::env::current_dir().unwrap();
        let args: Vec<OsString> = ["build", "--config", "build.target-dir=\"out\""]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            target_dir(None, None, &args),
            Some(cwd.join("out").join("cinline"))
        );
        // A `--config FILE` is cargo's to read.
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "[build]\ntarget-dir = \"from-file\"\n").unwrap();
        let args: Vec<OsString> = vec!["build".into(), "--config".into(), file.path().into()];
        let found = target_dir(None, None, &args).unwrap();
        assert!(found.ends_with("from-file/cinline"), "{}", found.display());
        if getenv("CARGO_BUILD_TARGET_DIR").is_none() {
            // This crate is a member of cinline's workspace, found from the
            // manifests (and so by cargo metadata, if they did not say).
            let root = cwd.parent().unwrap().parent().unwrap();
            assert_eq!(
                target_dir(None, None, &[]),
                Some(root.join("target").join("cinline"))
            );
        }
    }

    #[test]
    fn profiles_map_to_cargo_s_directories() {
        assert_eq!(profile_dir("dev"), "debug");
        assert_eq!(profile_dir("test"), "debug");
        assert_eq!(profile_dir("release"), "release");
        assert_eq!(profile_dir("bench"), "release");
        assert_eq!(profile_dir("fast"), "fast");
    }

    #[test]
    fn an_explicit_target_dir_is_used_as_given() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            target_dir_of_cargo_args(&args(&["build", "--target-dir", "t"])),
            Some(PathBuf::from("t"))
        );
        assert_eq!(
            target_dir_of_cargo_args(&args(&["build", "--target-dir=u", "--release"])),
            Some(PathBuf::from("u"))
        );
    }

    #[test]
    fn records_are_read_from_the_profile_s_directory() {
        let dir = tempfile::tempdir().unwrap();
        let records_dir = dir.path().join("debug/cinline");
        let record = Record {
            crate_name: "app".into(),
            stem: "app-1".into(),
            kind: "link".into(),
            ..Record::default()
        };
        record.save(&records_dir).unwrap();
        let query = |profile: Option<&str>| ReportQuery {
            profile: profile.map(str::to_string),
            target_dir: Some(dir.path().to_path_buf()),
            manifest_path: None,
        };
        let found = records(&query(None));
        assert_eq!(found.dir, records_dir);
        assert_eq!(found.records.len(), 1);
        assert_eq!(records(&query(Some("test"))).records.len(), 1);
        assert!(records(&query(Some("release"))).records.is_empty());
    }
}
