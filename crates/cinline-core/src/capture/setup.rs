//! What `cargo cinline` tells the `cc` crate, and which compiler the build
//! would have run instead.
//!
//! The `cc` crate takes the C compiler from the first of `CC_<target>`
//! (dashes, then underscores), `HOST_CC` or `TARGET_CC` (as the target is
//! the host or not), `CC`, else `cc`. `cargo cinline` points each of the
//! generic ones, and every `CC_<target>` the user set, at `cinline-cc`,
//! and keeps the user's values as `__CINLINE_ORIGINAL_<NAME>`: the
//! compiler wrapper then finds the original in the same order, for the
//! target its build script compiles for. Nothing is asked of rustc or clang
//! here (`cargo cinline` starts as fast as cargo): the wrapper finds its
//! tools when it first has a file to capture ([`super::tools`]).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::getenv;

/// The compiler variables every build gets, whether the user set them or
/// not.
const GENERIC: [&str; 3] = ["CC", "HOST_CC", "TARGET_CC"];

/// The prefix of the variables that keep the user's compilers.
const ORIGINAL: &str = "__CINLINE_ORIGINAL_";

/// The path of `cinline-cc`, beside this executable.
fn compiler_exe() -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find its own executable: {e}"))?;
    let exe = me.with_file_name(format!(
        "{}{}",
        crate::cargo::COMPILER_NAME,
        std::env::consts::EXE_SUFFIX
    ));
    if !exe.is_file() {
        return Err(format!("{} is missing", exe.display()));
    }
    if exe.to_string_lossy().contains(char::is_whitespace) {
        // The `cc` crate splits a compiler's path on whitespace.
        return Err(format!("{}: its path has a space", exe.display()));
    }
    Ok(exe)
}

/// Whether `name` is one of the `cc` crate's `CC_<target>` variables (a
/// target has lowercase letters; its own settings, such as
/// `CC_ENABLE_DEBUG_OUTPUT`, have none).
fn is_target_variable(name: &str) -> bool {
    name.strip_prefix("CC_")
        .is_some_and(|target| target.contains(|c: char| c.is_ascii_lowercase()))
}

/// The environment `cargo cinline` gives cargo so that build scripts
/// compile C through `cinline-cc`; or why it cannot.
pub fn cargo_env() -> Result<Vec<(OsString, OsString)>, String> {
    let exe = compiler_exe()?;
    let mut names: Vec<String> = GENERIC.map(String::from).to_vec();
    names.extend(
        cinline_cc::env::names_with_prefix("CC_")
            .into_iter()
            .filter(|n| is_target_variable(n)),
    );
    let mut vars = Vec::new();
    for name in names {
        if let Some(value) = getenv(&name) {
            vars.push((OsString::from(format!("{ORIGINAL}{name}")), value));
        }
        vars.push((OsString::from(name), exe.clone().into_os_string()));
    }
    Ok(vars)
}

/// The compiler the build script would have run: program and leading
/// arguments (`ccache gcc`), split on whitespace as the `cc` crate splits
/// its variables.
pub fn original() -> (OsString, Vec<OsString>) {
    let text = |name: &str| getenv(name).map(|v| v.to_string_lossy().into_owned());
    let target = text("TARGET").unwrap_or_default();
    let kind = if Some(&target) == text("HOST").as_ref() {
        "HOST_CC"
    } else {
        "TARGET_CC"
    };
    let value = [
        format!("CC_{target}"),
        format!("CC_{}", target.replace('-', "_")),
        kind.to_string(),
        "CC".to_string(),
    ]
    .iter()
    .find_map(|name| text(&format!("{ORIGINAL}{name}")))
    .unwrap_or_else(|| "cc".into());
    let mut words = value.split_whitespace().map(OsString::from);
    let program = words.next().unwrap_or_else(|| "cc".into());
    (program, words.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_variables_are_told_from_the_cc_crate_s_settings() {
        assert!(is_target_variable("CC_x86_64-unknown-linux-gnu"));
        assert!(is_target_variable("CC_aarch64_unknown_linux_gnu"));
        assert!(!is_target_variable("CC_ENABLE_DEBUG_OUTPUT"));
        assert!(!is_target_variable("CC_FORCE_DISABLE"));
        assert!(!is_target_variable("CFLAGS"));
    }
}
