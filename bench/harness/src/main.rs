//! `cinline-bench`: builds `bench/workloads` in five modes (plain,
//! cinline, cinline-llvm-tools, xlto, native), every one through `cargo`
//! or `cargo cinline`; measures each workload binary (callgrind
//! instructions per operation, wall time per operation, `.text` size) and
//! the builds (clean builds, rebuilds after touching one file in release
//! and dev profile, as ratios to `plain` of interleaved runs), the rebuilds
//! of `examples/liburing` and of the larger program `bench/program` too
//! (whose output must not change); writes `RESULTS.md` and `results.json`. Run
//! it through `scripts/bench.sh`; `--help` lists the options.

mod builds;
mod measure;
mod modes;
mod pool;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use builds::{Kind, Runner, Series, Workspace};
use measure::Run;
use modes::{Mode, Profile};

/// The workload binaries, in table order.
pub const WORKLOADS: [&str; 5] = ["refcount", "arith", "accessors", "uring", "alloc"];

const USAGE: &str = "usage: cinline-bench [options]

Builds bench/workloads in each mode into <target-root>/workloads-<mode> (and
examples/liburing and bench/program into <target-root>/liburing-<mode> and
program-<mode>), measures them, writes
RESULTS.md and results.json into the output directory.

  --modes a,b,...     modes to run (default: plain,cinline,cinline-llvm-tools,xlto,native)
  --runs N            timed runs per workload and mode; the median is kept (default 7)
  --time-ops N        operations per timed run (default 10000000)
  --callgrind-ops N   operations measured under callgrind: runs with 10000 and
                      10000+N operations, the difference is divided by N (default 1000000)
  --rebuilds N        rounds of rebuilds after touching one file, every mode once a
                      round (default 25: a rebuild's ratio moves by 10-20% from one
                      round to the next on a shared machine; the 95% interval of
                      the median ratio was 0.08-0.18 wide with 15 rounds)
  --clean-builds N    rounds of clean builds (default 2; 0: none, the builds in
                      <target-root> are reused)
  --no-liburing       leave out the rebuilds of examples/liburing
  --bench-dir DIR     the bench directory (default: this harness's parent)
  --target-root DIR   where the modes build (default: <bench-dir>/target)
  --out DIR           where the results go (default: <bench-dir>)
  --cinline-dir DIR   directory of cinline, cargo-cinline and cinline-cc (default: <repo>/target/release)
  --pool FILE...      build nothing: print the build series of these results.json files
                      (runs made at other times) with their rounds taken together, as
                      ratios to plain: each file's median, the pooled median and its 95%
                      interval; the last option

Environment: BENCH_CLANG (clang-22), BENCH_LLVM_AR (llvm-ar-22), BENCH_LLD (lld-22, for
-fuse-ld=), BENCH_VALGRIND (valgrind).";

/// Tools and paths every step uses.
pub struct Tools {
    pub cinline: PathBuf,
    pub cinline_dir: PathBuf,
    pub clang: String,
    pub llvm_ar: String,
    pub lld: String,
    pub valgrind: String,
}

impl Tools {
    /// `PATH` with the cinline directory first (for `cargo cinline`).
    #[allow(clippy::disallowed_methods)] // the harness's own environment: not cinline's reader
    pub fn path_with_cinline(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.cinline_dir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap_or_default()
    }
}

/// The command line.
pub struct Options {
    pub modes: Vec<Mode>,
    pub runs: usize,
    pub time_ops: u64,
    pub callgrind_ops: u64,
    pub rebuilds: usize,
    pub clean_builds: usize,
    pub liburing: bool,
    bench_dir: PathBuf,
    target_root: PathBuf,
    out: PathBuf,
    cinline_dir: PathBuf,
    /// `--pool`'s files: nothing is built.
    pool: Vec<PathBuf>,
}

fn parse_options() -> Result<Options> {
    let mut o = Options {
        modes: Mode::ALL.to_vec(),
        runs: 7,
        time_ops: 10_000_000,
        callgrind_ops: 1_000_000,
        rebuilds: 25,
        clean_builds: 2,
        liburing: true,
        bench_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        target_root: PathBuf::new(),
        out: PathBuf::new(),
        cinline_dir: PathBuf::new(),
        pool: Vec::new(),
    };
    let (mut target_root, mut out, mut cinline_dir) = (None, None, None);
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
            "--clean-builds" => o.clean_builds = value("--clean-builds")?.parse()?,
            "--no-liburing" => o.liburing = false,
            "--bench-dir" => o.bench_dir = value("--bench-dir")?.into(),
            "--target-root" => target_root = Some(PathBuf::from(value("--target-root")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--cinline-dir" => cinline_dir = Some(PathBuf::from(value("--cinline-dir")?)),
            "--pool" => {
                o.pool = args.by_ref().map(PathBuf::from).collect();
                if o.pool.is_empty() {
                    bail!("--pool needs results.json files");
                }
            }
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if o.runs == 0 || o.callgrind_ops == 0 || o.time_ops == 0 || o.rebuilds == 0 {
        bail!("--runs, --time-ops, --callgrind-ops and --rebuilds must be positive");
    }
    if !o.modes.contains(&Mode::Plain) {
        bail!("--modes must include plain: the build ratios are to plain");
    }
    o.bench_dir = std::fs::canonicalize(&o.bench_dir)
        .with_context(|| format!("no bench directory {}", o.bench_dir.display()))?;
    o.target_root = target_root.unwrap_or_else(|| o.bench_dir.join("target"));
    o.out = out.unwrap_or_else(|| o.bench_dir.clone());
    o.cinline_dir = cinline_dir.unwrap_or_else(|| o.bench_dir.join("../target/release"));
    Ok(o)
}

#[allow(clippy::disallowed_methods)] // the harness's own knobs: not cinline's reader
fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// First line of `program args` (stdout, else stderr), or what failed.
pub fn version_of(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) => {
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        }
        Err(e) => format!("{program}: {e}"),
    }
}

fn preflight(o: &Options) -> Result<Tools> {
    let tools = Tools {
        cinline: o.cinline_dir.join("cinline"),
        cinline_dir: o.cinline_dir.clone(),
        clang: env_or("BENCH_CLANG", "clang-22"),
        llvm_ar: env_or("BENCH_LLVM_AR", "llvm-ar-22"),
        lld: env_or("BENCH_LLD", "lld-22"),
        valgrind: env_or("BENCH_VALGRIND", "valgrind"),
    };
    let mut missing = Vec::new();
    for f in [
        tools.cinline.clone(),
        tools.cinline_dir.join("cargo-cinline"),
    ] {
        if !f.is_file() {
            missing.push(format!(
                "{} (cargo build --release -p cinline)",
                f.display()
            ));
        }
    }
    let ld = format!("ld.{}", tools.lld);
    for t in [
        tools.clang.as_str(),
        tools.llvm_ar.as_str(),
        &ld,
        &tools.valgrind,
        "cargo",
        "cc",
    ] {
        let found = Command::new(t)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
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
    // cargo-cinline finds cinline-cc (the C compiler of build scripts)
    // beside itself.
    for name in ["cinline", "cargo-cinline", "cinline-cc"] {
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
    ns_runs: Vec<f64>,
}

fn measure_runtime(o: &Options, tools: &Tools, ws: &Workspace) -> Result<Vec<RuntimeResult>> {
    let base_ops = 10_000u64;
    let bin = |mode: Mode, w: &str| {
        mode.bin_dir(
            &builds::target_dir(&o.target_root, ws, mode),
            Profile::Release,
        )
        .join(w)
    };
    let mut results = Vec::new();
    for w in WORKLOADS {
        for &mode in &o.modes {
            let bin = bin(mode, w);
            let facts = measure::inspect(&bin)?;
            let (i0, r0) = measure::callgrind(&tools.valgrind, &bin, base_ops, &o.target_root)?;
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
                    let ops = base_ops + o.callgrind_ops;
                    let (i1, _) = measure::callgrind(&tools.valgrind, &bin, ops, &o.target_root)?;
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
            let mode = Mode::from_name(&r.mode).context("a known mode")?;
            let bin = bin(mode, &r.workload);
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

/// Everything the report needs.
pub struct Results {
    pub options: Options,
    pub series: Vec<Series>,
    pub runtime: Vec<RuntimeResult>,
    pub failures: Vec<String>,
    pub checksum_problems: Vec<String>,
    pub machine: Vec<(String, String)>,
    pub total_s: f64,
}

fn machine_info(tools: &Tools, repo: &Path) -> Vec<(String, String)> {
    let first = |file: &str, key: &str| {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.strip_prefix(key).map(|v| {
                    v.trim_start_matches([':', ' ', '\t', '='])
                        .trim_matches('"')
                        .to_string()
                })
            })
            .unwrap_or_default()
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let rustc_llvm = String::from_utf8_lossy(&rustc)
        .lines()
        .find_map(|l| l.strip_prefix("LLVM version: ").map(str::to_string))
        .unwrap_or_default();
    let git = Command::new("git")
        .current_dir(repo)
        .args(["describe", "--always", "--dirty"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cinline = tools.cinline.to_string_lossy().into_owned();
    vec![
        (
            "CPU".into(),
            format!(
                "{} ({cores} cores available)",
                first("/proc/cpuinfo", "model name")
            ),
        ),
        ("memory".into(), first("/proc/meminfo", "MemTotal")),
        (
            "OS".into(),
            format!(
                "{}, Linux {}",
                first("/etc/os-release", "PRETTY_NAME"),
                version_of("uname", &["-r"])
            ),
        ),
        (
            "rustc".into(),
            format!("{} (LLVM {rustc_llvm})", version_of("rustc", &["-V"])),
        ),
        ("cargo".into(), version_of("cargo", &["-V"])),
        (
            "cinline".into(),
            format!("{} (git {git})", version_of(&cinline, &["--version"])),
        ),
        ("clang".into(), version_of(&tools.clang, &["--version"])),
        (
            "lld".into(),
            version_of(&format!("ld.{}", tools.lld), &["--version"]),
        ),
        (
            "valgrind".into(),
            version_of(&tools.valgrind, &["--version"]),
        ),
    ]
}

/// The builds: clean (or reused), rebuilds in release and dev profile, of
/// the workloads and of examples/liburing. A failed series is a failure
/// of the run; the others still run.
fn build_all(
    o: &Options,
    runner: &Runner,
    workloads: &Workspace,
    program: &Workspace,
    failures: &mut Vec<String>,
) -> Vec<Series> {
    let mut series = Vec::new();
    let mut record = |result: Result<Option<Series>>, what: &str| match result {
        Ok(s) => series.extend(s),
        Err(e) => {
            eprintln!("{what}: FAILED: {e:#}");
            failures.push(format!("{what}: {e:#}"));
        }
    };
    // The run time measurements need the release builds of every mode.
    record(
        if o.clean_builds > 0 {
            runner
                .series(
                    workloads,
                    &o.modes,
                    Profile::Release,
                    Kind::Clean,
                    o.clean_builds,
                )
                .map(Some)
        } else {
            runner
                .prepare(workloads, &o.modes, Profile::Release)
                .map(|()| None)
        },
        "workloads, release builds",
    );
    record(
        runner
            .series(
                workloads,
                &o.modes,
                Profile::Release,
                Kind::Rebuild,
                o.rebuilds,
            )
            .map(Some),
        "workloads, release rebuilds",
    );
    // The edit-compile loop: plain and cinline.
    let dev: Vec<Mode> = o
        .modes
        .iter()
        .copied()
        .filter(|m| matches!(m, Mode::Plain | Mode::Cinline))
        .collect();
    // Every mode's build brought up to date first, then the rounds.
    let after_prepare = |ws: &Workspace, profile: Profile, kind: Kind| {
        runner
            .prepare(ws, &dev, profile)
            .and_then(|()| runner.series(ws, &dev, profile, kind, o.rebuilds))
            .map(Some)
    };
    let rebuilds = |ws: &Workspace, profile: Profile| after_prepare(ws, profile, Kind::Rebuild);
    record(rebuilds(workloads, Profile::Dev), "workloads, dev rebuilds");
    if o.liburing {
        let liburing = Workspace {
            name: "liburing",
            dir: o.bench_dir.join("../examples/liburing"),
            touched: "uring-demo/src/main.rs",
        };
        record(
            rebuilds(&liburing, Profile::Release),
            "liburing, release rebuilds",
        );
        // What the build commands cost by themselves (prepared again: the
        // rebuilds' last round touched the file after some modes built).
        record(
            after_prepare(&liburing, Profile::Release, Kind::Fresh),
            "liburing, release builds with nothing changed",
        );
        record(rebuilds(&liburing, Profile::Dev), "liburing, dev rebuilds");
    }
    // Several crates calling helpers: libraries of cargo's default codegen
    // units, and a binary.
    record(
        rebuilds(program, Profile::Release),
        "program, release rebuilds",
    );
    record(rebuilds(program, Profile::Dev), "program, dev rebuilds");
    series
}

/// What the release build of `mode` of the larger program `program`
/// prints, if it ran.
fn program_output(runner: &Runner, program: &Workspace, mode: Mode) -> Option<String> {
    let app = builds::target_dir(&runner.root, program, mode).join("release/app");
    let out = Command::new(&app).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn run() -> Result<bool> {
    let started = Instant::now();
    let o = parse_options()?;
    if !o.pool.is_empty() {
        print!("{}", pool::table(&o.pool)?);
        return Ok(true);
    }
    builds::adopt_orphans()?;
    let tools = preflight(&o)?;
    let logs = o.target_root.join("logs");
    std::fs::create_dir_all(&logs)?;
    std::fs::create_dir_all(&o.out)?;
    let machine = machine_info(&tools, &o.bench_dir);
    for (k, v) in &machine {
        eprintln!("{k}: {v}");
    }
    let workloads = Workspace {
        name: "workloads",
        dir: o.bench_dir.join("workloads"),
        touched: "bench/src/common.rs",
    };
    let runner = Runner {
        tools: &tools,
        root: o.target_root.clone(),
        logs,
    };
    let mut failures = Vec::new();
    let program = Workspace {
        name: "program",
        dir: o.bench_dir.join("program"),
        touched: "hashing/src/lib.rs",
    };
    let series = build_all(&o, &runner, &workloads, &program, &mut failures);
    let runtime = measure_runtime(&o, &tools, &workloads)?;
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
    // The larger program too: the same output line built either way.
    let outputs: Vec<(Mode, Option<String>)> = [Mode::Plain, Mode::Cinline]
        .into_iter()
        .filter(|m| o.modes.contains(m))
        .map(|m| (m, program_output(&runner, &program, m)))
        .collect();
    if outputs.windows(2).any(|p| p[0].1 != p[1].1) {
        checksum_problems.push(format!("program: {outputs:?}"));
    }
    let results = Results {
        options: o,
        series,
        runtime,
        failures,
        checksum_problems,
        machine,
        total_s: started.elapsed().as_secs_f64(),
    };
    report::write_all(&results, &tools)?;
    eprintln!(
        "wrote {} and {} in {:.0} s",
        results.options.out.join("RESULTS.md").display(),
        results.options.out.join("results.json").display(),
        results.total_s
    );
    Ok(results.failures.is_empty() && results.checksum_problems.is_empty())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("cinline-bench: error: {e:#}");
            ExitCode::from(1)
        }
    }
}
