//! `cinline-bench`: builds `bench/workloads` in five modes (plain,
//! cinline, cinline-llvm-tools, xlto, native), measures each workload
//! binary (callgrind instructions per operation, wall time per operation,
//! `.text` size) and each build (clean, workspace crates only, rebuild after
//! touching one file), and writes `RESULTS.md`, `results.json` and
//! `results.svg`. Run it through `scripts/bench.sh`; `--help` lists the
//! options.

mod engines;
mod measure;
mod modes;
mod report;
mod roles;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use measure::{BinaryFacts, Run};
use modes::Mode;

/// The workload binaries, in table order.
pub const WORKLOADS: [&str; 4] = ["refcount", "arith", "accessors", "uring"];

/// The packages of `bench/workloads`.
pub const MEMBERS: [&str; 4] = ["bench-sys", "uring-sys", "bench-native", "bench"];

/// The file touched before each rebuild: shared by the four binaries of
/// the `bench` crate.
const TOUCHED: &str = "bench/src/common.rs";

const USAGE: &str = "usage: cinline-bench [options]

Builds bench/workloads in each mode into <target-root>/<mode>, measures it,
writes RESULTS.md, results.json and results.svg into the output directory.

  --modes a,b,...        modes to run (default: plain,cinline,cinline-llvm-tools,xlto,native)
  --runs N               timed runs per workload and mode; the median is kept (default 7)
  --time-ops N           operations per timed run (default 10000000)
  --callgrind-ops N      operations measured under callgrind: runs with 10000 and
                         10000+N operations, the difference is divided by N (default 1000000)
  --rebuilds N           rebuilds after touching bench/src/common.rs; the median is kept (default 5)
  --workspace-builds N   builds of the workspace's own crates after `cargo clean -p`; the
                         median is kept (default 5)
  --clean-builds N       clean builds per mode, round robin over the modes; the median is
                         kept (default 2)
  --no-clean             keep existing target directories (no clean build time)
  --bench-dir DIR        the bench directory (default: this harness's parent)
  --target-root DIR      where the modes build (default: <bench-dir>/target)
  --out DIR              where the results go (default: <bench-dir>)
  --cinline-dir DIR      directory of cinline and cargo-cinline (default: <repo>/target/release)

Environment: BENCH_CLANG (clang-22), BENCH_LLVM_AR (llvm-ar-22), BENCH_LLD (lld-22, for
-fuse-ld=), BENCH_VALGRIND (valgrind).";

/// Tools and paths every step uses.
pub struct Tools {
    pub harness: PathBuf,
    pub cinline: PathBuf,
    pub cinline_dir: PathBuf,
    pub clang: String,
    pub llvm_ar: String,
    pub lld: String,
    pub valgrind: String,
}

impl Tools {
    /// `PATH` with the cinline directory first (for `cargo cinline`).
    pub fn path_with_cinline(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.cinline_dir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap_or_default()
    }
}

struct Options {
    modes: Vec<Mode>,
    runs: usize,
    time_ops: u64,
    callgrind_ops: u64,
    rebuilds: usize,
    workspace_builds: usize,
    clean_builds: usize,
    clean: bool,
    bench_dir: PathBuf,
    target_root: PathBuf,
    out: PathBuf,
    cinline_dir: PathBuf,
}

fn parse_options() -> Result<Options> {
    let bench_default = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("bench"));
    let mut o = Options {
        modes: Mode::ALL.to_vec(),
        runs: 7,
        time_ops: 10_000_000,
        callgrind_ops: 1_000_000,
        rebuilds: 5,
        workspace_builds: 5,
        clean_builds: 2,
        clean: true,
        bench_dir: bench_default,
        target_root: PathBuf::new(),
        out: PathBuf::new(),
        cinline_dir: PathBuf::new(),
    };
    let mut target_root = None;
    let mut out = None;
    let mut cinline_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--modes" => {
                o.modes = value("--modes")?
                    .split(',')
                    .map(|m| Mode::from_name(m).with_context(|| format!("unknown mode {m}")))
                    .collect::<Result<_>>()?;
            }
            "--runs" => o.runs = value("--runs")?.parse()?,
            "--time-ops" => o.time_ops = value("--time-ops")?.parse()?,
            "--callgrind-ops" => o.callgrind_ops = value("--callgrind-ops")?.parse()?,
            "--rebuilds" => o.rebuilds = value("--rebuilds")?.parse()?,
            "--workspace-builds" => o.workspace_builds = value("--workspace-builds")?.parse()?,
            "--clean-builds" => o.clean_builds = value("--clean-builds")?.parse()?,
            "--no-clean" => o.clean = false,
            "--bench-dir" => o.bench_dir = value("--bench-dir")?.into(),
            "--target-root" => target_root = Some(PathBuf::from(value("--target-root")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--cinline-dir" => cinline_dir = Some(PathBuf::from(value("--cinline-dir")?)),
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if o.runs == 0 || o.callgrind_ops == 0 || o.time_ops == 0 || o.rebuilds == 0 || o.workspace_builds == 0 || o.clean_builds == 0 {
        bail!("--runs, --time-ops, --callgrind-ops, --rebuilds and --workspace-builds must be positive");
    }
    o.bench_dir = std::fs::canonicalize(&o.bench_dir)
        .with_context(|| format!("no bench directory {}", o.bench_dir.display()))?;
    o.target_root = target_root.unwrap_or_else(|| o.bench_dir.join("target"));
    o.out = out.unwrap_or_else(|| o.bench_dir.clone());
    o.cinline_dir = cinline_dir
        .unwrap_or_else(|| o.bench_dir.parent().unwrap_or(Path::new(".")).join("target/release"));
    Ok(o)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

/// First line of `program args` (stdout, else stderr), or what failed.
pub fn version_of(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() { out.stderr } else { out.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("").trim().to_string()
        }
        Err(e) => format!("{program}: {e}"),
    }
}

fn preflight(o: &Options) -> Result<Tools> {
    let tools = Tools {
        harness: std::env::current_exe()?,
        cinline: o.cinline_dir.join("cinline"),
        cinline_dir: std::fs::canonicalize(&o.cinline_dir)
            .with_context(|| format!("no cinline directory {}", o.cinline_dir.display()))?,
        clang: env_or("BENCH_CLANG", "clang-22"),
        llvm_ar: env_or("BENCH_LLVM_AR", "llvm-ar-22"),
        lld: env_or("BENCH_LLD", "lld-22"),
        valgrind: env_or("BENCH_VALGRIND", "valgrind"),
    };
    let mut missing = Vec::new();
    for f in [tools.cinline.clone(), tools.cinline_dir.join("cargo-cinline")] {
        if !f.is_file() {
            missing.push(format!("{} (cargo build --release -p cinline)", f.display()));
        }
    }
    let ld = format!("ld.{}", tools.lld);
    for t in [tools.clang.as_str(), tools.llvm_ar.as_str(), &ld, &tools.valgrind, "cargo", "cc"] {
        if Command::new(t).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            missing.push(t.to_string());
        }
    }
    if !Path::new("/usr/include/liburing.h").exists() {
        missing.push("/usr/include/liburing.h (liburing-dev)".into());
    }
    if !missing.is_empty() {
        bail!("missing: {}", missing.join(", "));
    }
    // A private copy: a rebuild of cinline during the run must not change
    // what is measured.
    let copy = o.target_root.join("cinline-bin");
    std::fs::create_dir_all(&copy)?;
    for name in ["cinline", "cargo-cinline"] {
        std::fs::copy(tools.cinline_dir.join(name), copy.join(name))
            .with_context(|| format!("cannot copy {name} to {}", copy.display()))?;
    }
    let cinline_dir = std::fs::canonicalize(&copy)?;
    Ok(Tools {
        cinline: cinline_dir.join("cinline"),
        cinline_dir,
        ..tools
    })
}

/// Clock ticks per second of `/proc` times (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU seconds (user + system) of this process's waited-for descendants.
fn children_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the command name: field 3 (state) is index 0; cutime is field 16, cstime 17.
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(13) + tick(14)) / clock_ticks()
}

/// Busy CPU seconds of the whole machine, all cores (`/proc/stat`).
fn machine_busy_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: f64 = [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| v.get(i)).sum();
    busy / clock_ticks()
}

/// Waits (at most 90 s) until other processes use less than 0.3 cores, so
/// that a clean build, measured only a few times, is not measured while
/// the machine is busy with something else.
fn wait_for_quiet(mode: Mode) {
    let start = Instant::now();
    let mut said = false;
    while start.elapsed().as_secs() < 90 {
        let b0 = machine_busy_s();
        std::thread::sleep(std::time::Duration::from_secs(2));
        let cores = (machine_busy_s() - b0) / 2.0;
        if cores < 0.3 {
            return;
        }
        if !said {
            eprintln!("[{}] waiting for the machine to be quiet ({cores:.2} cores busy)", mode.name());
            said = true;
        }
    }
}

/// One timed build.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timing {
    /// Wall time.
    pub wall_s: f64,
    /// CPU time (user + system) of the build's processes: far less
    /// sensitive than the wall time to other work on the machine.
    pub cpu_s: f64,
    /// Cores kept busy by other processes during the build, on average:
    /// above ~0.2 the wall time is not to be trusted.
    pub others_cores: f64,
}

/// Runs `cmd`, its output to `log`; its times.
fn timed(mut cmd: Command, log: &Path) -> Result<Timing> {
    let file = std::fs::File::create(log)?;
    cmd.stdout(file.try_clone()?).stderr(file);
    let (cpu0, busy0) = (children_cpu_s(), machine_busy_s());
    let start = Instant::now();
    let status = cmd.status().with_context(|| format!("cannot run {cmd:?}"))?;
    let wall_s = start.elapsed().as_secs_f64();
    let cpu_s = children_cpu_s() - cpu0;
    let others = (machine_busy_s() - busy0 - cpu_s).max(0.0);
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{cmd:?} failed ({status}); {}:\n{}", log.display(), tail.join("\n"));
    }
    Ok(Timing {
        wall_s,
        cpu_s,
        others_cores: if wall_s > 0.0 { others / wall_s } else { 0.0 },
    })
}

fn touch(path: &Path) -> Result<()> {
    let f = std::fs::OpenOptions::new().append(true).open(path)?;
    f.set_modified(SystemTime::now())?;
    Ok(())
}

/// Build measurements of one mode.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildResult {
    pub mode: String,
    /// `rm -rf` of the mode's target directory, then the build: every
    /// dependency (bindgen, cinline-build...) included. Wall seconds.
    pub clean_build_s: Option<f64>,
    pub clean_build_cpu_s: Option<f64>,
    /// Median of builds after `cargo clean -p` of the workspace's four
    /// packages: build scripts (bindgen, C compiles), libraries, binaries.
    pub workspace_build_s: f64,
    pub workspace_build_cpu_s: f64,
    /// Median build time after touching `bench/src/common.rs` (the four
    /// workload binaries are rebuilt).
    pub rebuild_s: f64,
    pub rebuild_cpu_s: f64,
    pub clean_runs: Vec<Timing>,
    pub workspace_runs: Vec<Timing>,
    pub rebuild_runs: Vec<Timing>,
    /// `warning: cinline` lines of the build logs.
    pub warnings: Vec<String>,
    /// llvm-tools mode: seconds spent in `cinline link` per binary.
    pub link_seconds: Vec<f64>,
}

/// Runtime measurements of one workload in one mode.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeResult {
    pub workload: String,
    pub mode: String,
    pub instructions_per_op: Option<f64>,
    pub ns_per_op: Option<f64>,
    pub text_bytes: u64,
    pub run_fn_bytes: u64,
    pub helper_symbols: usize,
    pub checksum: Option<String>,
    pub unavailable: Option<String>,
    #[serde(skip)]
    pub ns_runs: Vec<f64>,
}

fn median_of(runs: &[Timing], f: impl Fn(&Timing) -> f64) -> f64 {
    measure::median(&mut runs.iter().map(f).collect::<Vec<_>>())
}

/// Builds every mode: clean builds, workspace builds, rebuilds, each round
/// robin over the modes so that other work on the machine does not fall on
/// one mode only.
fn build_modes(o: &Options, tools: &Tools, logs: &Path) -> (Vec<BuildResult>, Vec<String>) {
    let workloads = o.bench_dir.join("workloads");
    let mut failures = Vec::new();
    let log = |mode: Mode, step: &str| logs.join(format!("{}-{step}.log", mode.name()));
    let mut results: Vec<(Mode, BuildResult, Vec<PathBuf>)> = o
        .modes
        .iter()
        .map(|&mode| {
            (
                mode,
                BuildResult {
                    mode: mode.name().into(),
                    clean_build_s: None,
                    clean_build_cpu_s: None,
                    workspace_build_s: f64::NAN,
                    workspace_build_cpu_s: f64::NAN,
                    rebuild_s: f64::NAN,
                    rebuild_cpu_s: f64::NAN,
                    clean_runs: Vec::new(),
                    workspace_runs: Vec::new(),
                    rebuild_runs: Vec::new(),
                    warnings: Vec::new(),
                    link_seconds: Vec::new(),
                },
                Vec::new(),
            )
        })
        .collect();
    let mut failed: Vec<Mode> = Vec::new();
    let rounds = if o.clean { o.clean_builds } else { 1 };
    for i in 0..rounds {
        for (mode, result, logs_used) in results.iter_mut() {
            if failed.contains(mode) {
                continue;
            }
            let mode = *mode;
            let tdir = o.target_root.join(mode.name());
            let step = if o.clean { format!("clean{i}") } else { "build".into() };
            let attempt = || -> Result<Timing> {
                if o.clean && tdir.exists() {
                    std::fs::remove_dir_all(&tdir).with_context(|| format!("cannot remove {}", tdir.display()))?;
                }
                if o.clean {
                    wait_for_quiet(mode);
                }
                eprintln!("[{}] {step} ...", mode.name());
                timed(mode.build_command(tools, &workloads, &tdir), &log(mode, &step))
            };
            match attempt() {
                Ok(t) => {
                    eprintln!(
                        "[{}] {step}: {:.1} s, {:.1} s CPU, others {:.2} cores",
                        mode.name(),
                        t.wall_s,
                        t.cpu_s,
                        t.others_cores
                    );
                    if o.clean {
                        result.clean_runs.push(t);
                    }
                    logs_used.push(log(mode, &step));
                }
                Err(e) => {
                    eprintln!("[{}] FAILED: {e:#}", mode.name());
                    failures.push(format!("{}: {e:#}", mode.name()));
                    failed.push(mode);
                }
            }
        }
    }
    for i in 0..o.workspace_builds {
        for (mode, result, logs_used) in results.iter_mut() {
            if failed.contains(mode) {
                continue;
            }
            let tdir = o.target_root.join(mode.name());
            let link_log = tdir.join("llvm-tools-links.jsonl");
            let step = format!("workspace{i}");
            let attempt = || -> Result<Timing> {
                timed(mode.clean_members_command(&workloads, &tdir), &log(*mode, "clean-members"))?;
                let _ = std::fs::remove_file(&link_log);
                timed(mode.build_command(tools, &workloads, &tdir), &log(*mode, &step))
            };
            match attempt() {
                Ok(t) => {
                    result.workspace_runs.push(t);
                    result.link_seconds = read_link_log(&link_log);
                    logs_used.push(log(*mode, &step));
                }
                Err(e) => {
                    failures.push(format!("{}: {e:#}", mode.name()));
                    failed.push(*mode);
                }
            }
        }
    }
    for i in 0..o.rebuilds {
        for (mode, result, logs_used) in results.iter_mut() {
            if failed.contains(mode) {
                continue;
            }
            let tdir = o.target_root.join(mode.name());
            let step = format!("rebuild{i}");
            let attempt = || -> Result<Timing> {
                touch(&workloads.join(TOUCHED))?;
                timed(mode.build_command(tools, &workloads, &tdir), &log(*mode, &step))
            };
            match attempt() {
                Ok(t) => {
                    result.rebuild_runs.push(t);
                    logs_used.push(log(*mode, &step));
                }
                Err(e) => {
                    failures.push(format!("{}: {e:#}", mode.name()));
                    failed.push(*mode);
                }
            }
        }
    }
    let mut out = Vec::new();
    for (mode, mut r, logs_used) in results {
        if failed.contains(&mode) {
            continue;
        }
        if !r.clean_runs.is_empty() {
            r.clean_build_s = Some(median_of(&r.clean_runs, |t| t.wall_s));
            r.clean_build_cpu_s = Some(median_of(&r.clean_runs, |t| t.cpu_s));
        }
        r.workspace_build_s = median_of(&r.workspace_runs, |t| t.wall_s);
        r.workspace_build_cpu_s = median_of(&r.workspace_runs, |t| t.cpu_s);
        r.rebuild_s = median_of(&r.rebuild_runs, |t| t.wall_s);
        r.rebuild_cpu_s = median_of(&r.rebuild_runs, |t| t.cpu_s);
        eprintln!(
            "[{}] workspace crates {:.2} s ({:.2} s CPU), rebuild {:.2} s ({:.2} s CPU)",
            r.mode, r.workspace_build_s, r.workspace_build_cpu_s, r.rebuild_s, r.rebuild_cpu_s
        );
        for l in &logs_used {
            for line in std::fs::read_to_string(l).unwrap_or_default().lines() {
                if line.contains("warning: cinline") && !r.warnings.iter().any(|w| w == line) {
                    r.warnings.push(line.to_string());
                }
            }
        }
        out.push(r);
    }
    (out, failures)
}

fn read_link_log(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["seconds"].as_f64())
        .collect()
}

/// Everything the report needs.
pub struct Results {
    pub modes: Vec<Mode>,
    pub build: Vec<BuildResult>,
    pub runtime: Vec<RuntimeResult>,
    pub engines: Vec<engines::EngineResult>,
    pub failures: Vec<String>,
    pub checksum_problems: Vec<String>,
    pub config: serde_json::Value,
    pub machine: Vec<(String, String)>,
    pub total_s: f64,
}

fn measure_runtime(o: &Options, tools: &Tools, built: &[Mode], scratch: &Path) -> Result<Vec<RuntimeResult>> {
    let base_ops = 10_000u64;
    let mut results = Vec::new();
    for w in WORKLOADS {
        for &mode in built {
            let bin = mode.bin_dir(&o.target_root.join(mode.name())).join(w);
            let facts: BinaryFacts = measure::inspect(&bin)?;
            let (i0, r0) = measure::callgrind(&tools.valgrind, &bin, base_ops, scratch)?;
            let mut result = RuntimeResult {
                workload: w.into(),
                mode: mode.name().into(),
                instructions_per_op: None,
                ns_per_op: None,
                text_bytes: facts.text_bytes,
                run_fn_bytes: facts.run_fn_bytes,
                helper_symbols: facts.helper_symbols.len(),
                checksum: None,
                unavailable: None,
                ns_runs: Vec::new(),
            };
            match r0 {
                Run::Unavailable(why) => {
                    eprintln!("[{}] {w}: unavailable: {why}", mode.name());
                    result.unavailable = Some(why);
                }
                Run::Ok(_) => {
                    let (i1, _) = measure::callgrind(&tools.valgrind, &bin, base_ops + o.callgrind_ops, scratch)?;
                    let per_op = (i1 as f64 - i0 as f64) / o.callgrind_ops as f64;
                    eprintln!("[{}] {w}: {per_op:.2} instructions/op", mode.name());
                    result.instructions_per_op = Some(per_op);
                }
            }
            results.push(result);
        }
    }
    // Timed runs, round robin over modes and workloads so that a slow
    // moment of the machine does not fall on one mode only.
    for _ in 0..o.runs {
        for r in results.iter_mut().filter(|r| r.unavailable.is_none()) {
            let mode = Mode::from_name(&r.mode).expect("a known mode");
            let bin = mode.bin_dir(&o.target_root.join(mode.name())).join(&r.workload);
            match measure::run(&bin, o.time_ops)? {
                Run::Ok(out) => {
                    r.ns_runs.push(out.elapsed_ns as f64 / out.ops as f64);
                    if r.checksum.as_ref().is_some_and(|c| *c != out.checksum) {
                        bail!("{}: checksum changed between runs", bin.display());
                    }
                    r.checksum = Some(out.checksum);
                }
                Run::Unavailable(why) => r.unavailable = Some(why),
            }
        }
    }
    for r in &mut results {
        if !r.ns_runs.is_empty() {
            r.ns_per_op = Some(measure::median(&mut r.ns_runs.clone()));
        }
    }
    Ok(results)
}

fn machine_info(tools: &Tools, repo: &Path) -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string()))
        .unwrap_or_default();
    let rustc_llvm = Command::new("rustc")
        .arg("-vV")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("LLVM version: ").map(str::to_string))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let git = Command::new("git")
        .current_dir(repo)
        .args(["describe", "--always", "--dirty"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let liburing = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "liburing-dev"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cinline = tools.cinline.to_string_lossy().into_owned();
    let sha = Command::new("sha256sum")
        .arg(&tools.cinline)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).chars().take(12).collect::<String>())
        .unwrap_or_default();
    vec![
        ("CPU".into(), format!("{cpu} ({cores} cores available)")),
        ("memory".into(), mem),
        ("OS".into(), format!("{os}, Linux {}", version_of("uname", &["-r"]))),
        ("rustc".into(), format!("{} (LLVM {rustc_llvm})", version_of("rustc", &["-V"]))),
        ("cargo".into(), version_of("cargo", &["-V"])),
        ("cinline".into(), format!("{} (git {git}, binary sha256 {sha}...)", version_of(&cinline, &["--version"]))),
        ("clang".into(), version_of(&tools.clang, &["--version"])),
        ("lld".into(), version_of(&format!("ld.{}", tools.lld), &["--version"])),
        ("valgrind".into(), version_of(&tools.valgrind, &["--version"])),
        ("liburing".into(), format!("liburing-dev {liburing}")),
    ]
}

fn run() -> Result<bool> {
    let started = Instant::now();
    let o = parse_options()?;
    let tools = preflight(&o)?;
    let repo = o.bench_dir.parent().unwrap_or(Path::new(".")).to_path_buf();
    let logs = o.target_root.join("logs");
    std::fs::create_dir_all(&logs)?;
    std::fs::create_dir_all(&o.out)?;
    let machine = machine_info(&tools, &repo);
    for (k, v) in &machine {
        eprintln!("{k}: {v}");
    }
    let (build, mut failures) = build_modes(&o, &tools, &logs);
    let built: Vec<Mode> = o
        .modes
        .iter()
        .copied()
        .filter(|m| build.iter().any(|b| b.mode == m.name()))
        .collect();
    let runtime = measure_runtime(&o, &tools, &built, &logs)?;
    let mut engines = Vec::new();
    if built.contains(&Mode::CinlineLlvmTools) {
        eprintln!("[engines] cinline link on the kept bitcode ...");
        let tdir = o.target_root.join(Mode::CinlineLlvmTools.name());
        match engines::compare(&tools.cinline, &tdir, &logs, 3) {
            Ok(e) => engines = e,
            Err(e) => failures.push(format!("engine comparison: {e:#}")),
        }
    }
    // Every mode must compute the same thing.
    let mut checksum_problems = Vec::new();
    for w in WORKLOADS {
        let sums: Vec<(&str, &str)> = runtime
            .iter()
            .filter(|r| r.workload == w)
            .filter_map(|r| Some((r.mode.as_str(), r.checksum.as_deref()?)))
            .collect();
        if sums.windows(2).any(|p| p[0].1 != p[1].1) {
            checksum_problems.push(format!("{w}: {sums:?}"));
        }
    }
    let config = serde_json::json!({
        "time_ops": o.time_ops,
        "runs": o.runs,
        "callgrind_ops": o.callgrind_ops,
        "rebuilds": o.rebuilds,
        "workspace_builds": o.workspace_builds,
        "clean_builds": o.clean_builds,
        "clean": o.clean,
        "touched_file": format!("bench/workloads/{TOUCHED}"),
        "modes": o.modes.iter().map(|m| serde_json::json!({"mode": m.name(), "how": m.how(&tools)})).collect::<Vec<_>>(),
    });
    let results = Results {
        modes: built,
        build,
        runtime,
        engines,
        failures,
        checksum_problems,
        config,
        machine,
        total_s: started.elapsed().as_secs_f64(),
    };
    report::write_all(&o.out, &results, &tools)?;
    eprintln!(
        "wrote {}, {}, {} in {:.0} s",
        o.out.join("RESULTS.md").display(),
        o.out.join("results.json").display(),
        o.out.join("results.svg").display(),
        results.total_s
    );
    Ok(results.failures.is_empty() && results.checksum_problems.is_empty())
}

fn main() -> ExitCode {
    if let Some(code) = roles::run_role() {
        return code;
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("cinline-bench: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
