//! clang and the LLVM command-line tools (`llvm-link`), found under their
//! plain or versioned names (`clang-22`, `/usr/lib/llvm-22/bin/clang`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{parse_version, run, which, Version};
use crate::Error;

/// A tool found on this machine, with the LLVM release it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The executable.
    pub path: PathBuf,
    /// Its LLVM release, from `--version`.
    pub version: Version,
}

/// The oldest LLVM major looked for under a versioned name.
const OLDEST_MAJOR: u32 = 14;

/// Names to try for `base`, most wanted first: the versioned name of
/// `prefer_major` (the LLVM of rustc), the plain name, then other versions,
/// newest first.
fn versioned_names(base: &str, prefer_major: u32) -> Vec<OsString> {
    let mut names = vec![
        format!("{base}-{prefer_major}").into(),
        format!("/usr/lib/llvm-{prefer_major}/bin/{base}").into(),
        base.into(),
    ];
    for major in (OLDEST_MAJOR..prefer_major + 6).rev() {
        if major != prefer_major {
            names.push(format!("{base}-{major}").into());
        }
    }
    names
}

/// Asks the tool at `path` for its version; `marker` precedes the number in
/// its `--version` banner.
fn probe(path: PathBuf, marker: &str) -> Option<Tool> {
    let text = run(Command::new(&path).arg("--version")).ok()?;
    let version = parse_version(&text, marker)?;
    Some(Tool { path, version })
}

fn marker(base: &str) -> &'static str {
    if base == "clang" {
        "clang version "
    } else {
        "LLVM version "
    }
}

/// Every distinct installation of `base` found (for `cinline doctor`).
pub fn list_tools(base: &str, prefer_major: u32) -> Vec<Tool> {
    let mut found: Vec<Tool> = Vec::new();
    for name in versioned_names(base, prefer_major) {
        if let Some(tool) = which(&name).and_then(|p| probe(p, marker(base))) {
            let real = |t: &Tool| std::fs::canonicalize(&t.path).ok();
            if !found.iter().any(|f| real(f) == real(&tool)) {
                found.push(tool);
            }
        }
    }
    found
}

/// Finds clang: `explicit` (a path and where it was given: `--clang`,
/// `CLANG_PATH`...), else `$CLANG`, else `$CC` if it is a clang, else the
/// versioned and plain names, preferring the LLVM major of rustc
/// (`prefer_major`). A clang named explicitly or by `$CLANG` must exist and
/// run: it is never silently replaced by another.
pub fn find_clang(explicit: Option<(&Path, &str)>, prefer_major: u32) -> crate::Result<Tool> {
    let named = explicit
        .map(|(p, from)| (p.as_os_str().to_owned(), from.to_string()))
        .or_else(|| crate::env::clang().map(|c| (c, crate::env::CLANG.name.to_string())));
    if let Some((name, from)) = named {
        let broken = |problem: &str| Error::ExplicitToolBroken {
            tool: "clang".into(),
            path: name.clone().into(),
            source_name: from.clone(),
            problem: problem.into(),
        };
        let instead = match from.as_str() {
            "--clang" => "pass another --clang PATH".to_string(),
            var => format!("point {var} at a clang, or unset it to let cinline find one"),
        };
        let path = which(&name).ok_or_else(|| {
            broken(&format!(
                "does not exist or is not executable; install clang \
                 (`apt-get install clang-{prefer_major}`) or {instead}"
            ))
        })?;
        return probe(path, "clang version ").ok_or_else(|| {
            broken(&format!(
                "does not run as clang (`--version` names no clang version); {instead}"
            ))
        });
    }
    let mut tried = Vec::new();
    let mut candidates: Vec<OsString> = Vec::new();
    candidates.extend(crate::env::cc().filter(|cc| cc.to_string_lossy().contains("clang")));
    candidates.extend(versioned_names("clang", prefer_major));
    for name in candidates {
        tried.push(name.to_string_lossy().into_owned());
        if let Some(tool) = which(&name).and_then(|p| probe(p, "clang version ")) {
            return Ok(tool);
        }
    }
    Err(Error::ToolNotFound {
        tool: "clang".into(),
        tried,
        hint: format!("install it (`apt-get install clang-{prefer_major}`) or pass --clang PATH"),
    })
}

/// Finds an LLVM tool such as `llvm-link`: in `bin_dir` (`--llvm-bin`,
/// `$CINLINE_LLVM_BIN`) if given, else under its versioned and plain names.
pub fn find_llvm_tool(
    base: &str,
    bin_dir: Option<&Path>,
    prefer_major: u32,
) -> crate::Result<Tool> {
    let dir = bin_dir.map(Path::to_path_buf);
    let candidates: Vec<OsString> = match &dir {
        Some(dir) => vec![dir.join(base).into()],
        None => versioned_names(base, prefer_major),
    };
    let tried: Vec<String> = candidates
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    candidates
        .iter()
        .find_map(|name| which(name).and_then(|p| probe(p, marker(base))))
        .ok_or_else(|| Error::ToolNotFound {
            tool: base.into(),
            tried,
            hint: format!(
                "install it (`apt-get install llvm-{prefer_major}`) or pass --llvm-bin DIR"
            ),
        })
}
