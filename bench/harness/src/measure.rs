//! Running and inspecting the workload binaries.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSection, ObjectSymbol};

/// One run's output line: `checksum=C ops=N elapsed_ns=T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    pub checksum: String,
    pub ops: u64,
    pub elapsed_ns: u64,
}

/// What a run gave.
#[derive(Debug, Clone)]
pub enum Run {
    Ok(RunOutput),
    /// The binary said `unavailable: why` (exit 2): io_uring refused here.
    Unavailable(String),
}

fn parse_output(stdout: &str) -> Option<RunOutput> {
    let line = stdout.lines().find(|l| l.starts_with("checksum="))?;
    let mut checksum = None;
    let mut ops = None;
    let mut elapsed = None;
    for field in line.split_whitespace() {
        match field.split_once('=') {
            Some(("checksum", v)) => checksum = Some(v.to_string()),
            Some(("ops", v)) => ops = v.parse().ok(),
            Some(("elapsed_ns", v)) => elapsed = v.parse().ok(),
            _ => {}
        }
    }
    Some(RunOutput {
        checksum: checksum?,
        ops: ops?,
        elapsed_ns: elapsed?,
    })
}

fn interpret(bin: &Path, output: &std::process::Output) -> Result<Run> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(why) = stdout.lines().find_map(|l| l.strip_prefix("unavailable: ")) {
        return Ok(Run::Unavailable(why.to_string()));
    }
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}{}",
            bin.display(),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_output(&stdout)
        .map(Run::Ok)
        .with_context(|| format!("{}: no result line in {stdout:?}", bin.display()))
}

/// Runs `bin ops` once.
pub fn run(bin: &Path, ops: u64) -> Result<Run> {
    let output = Command::new(bin)
        .arg(ops.to_string())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    interpret(bin, &output)
}

/// Instructions executed by `bin ops` under callgrind (the whole program),
/// and its output.
pub fn callgrind(valgrind: &str, bin: &Path, ops: u64, scratch: &Path) -> Result<(u64, Run)> {
    let out_file = scratch.join(format!(
        "callgrind.{}.{ops}.out",
        bin.file_name().unwrap_or_default().to_string_lossy()
    ));
    let output = Command::new(valgrind)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(bin)
        .arg(ops.to_string())
        .output()
        .with_context(|| format!("cannot run {valgrind}"))?;
    let run = interpret(bin, &output)?;
    if let Run::Unavailable(_) = run {
        return Ok((0, run));
    }
    let text = std::fs::read_to_string(&out_file)
        .with_context(|| format!("callgrind wrote no {}", out_file.display()))?;
    let total = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("{}: no summary line", out_file.display()))?;
    let _ = std::fs::remove_file(&out_file);
    Ok((total, run))
}

/// Code size facts of a workload binary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BinaryFacts {
    /// Size of the `.text` section.
    pub text_bytes: u64,
    /// Size of the workload's loop function (`run_workload`).
    pub run_fn_bytes: u64,
    /// Out-of-line helper functions present in the binary
    /// (`*__extern` wrappers, `rust_helper_*`).
    pub helper_symbols: Vec<String>,
}

pub fn inspect(bin: &Path) -> Result<BinaryFacts> {
    let data = std::fs::read(bin).with_context(|| format!("cannot read {}", bin.display()))?;
    let file =
        object::File::parse(&*data).with_context(|| format!("{}: not an object", bin.display()))?;
    let text_bytes = file
        .section_by_name(".text")
        .map(|s| s.size())
        .with_context(|| format!("{}: no .text", bin.display()))?;
    let mut facts = BinaryFacts {
        text_bytes,
        ..BinaryFacts::default()
    };
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        if sym.is_undefined() {
            continue;
        }
        if name.contains("run_workload") {
            facts.run_fn_bytes += sym.size();
        }
        if name.ends_with("__extern") || name.starts_with("rust_helper_") {
            facts.helper_symbols.push(name.to_string());
        }
    }
    facts.helper_symbols.sort();
    facts.helper_symbols.dedup();
    Ok(facts)
}

/// The median of `values` (which must not be empty).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}
