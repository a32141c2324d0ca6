//! Timed builds, interleaved over the modes: clean builds and rebuilds
//! after touching one file, in a profile, and their ratios to `plain`.
//!
//! A tiny timer rather than `hyperfine`: the ratios come from rounds in
//! which every mode builds once, in turn (the order rotating from round to
//! round), so that a busy moment of a shared machine falls on all modes
//! alike; hyperfine runs each command's runs back to back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::modes::{Mode, Profile};
use crate::Tools;

/// One timed build.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
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

/// What a series builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `rm -rf` of the target directory, then a build: every dependency.
    Clean,
    /// A build after touching one source file of the binaries.
    Rebuild,
    /// A build with nothing changed: what the build command costs by
    /// itself (cargo finding everything fresh; for `cargo cinline`, the
    /// subcommand's dispatch and its own start too).
    Fresh,
}

impl Kind {
    /// Its name in logs and in `results.json`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Clean => "clean",
            Kind::Rebuild => "rebuild",
            Kind::Fresh => "fresh",
        }
    }
}

/// A workspace the series build.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Its name in the tables (and in the target directories).
    pub name: &'static str,
    /// Its directory.
    pub dir: PathBuf,
    /// The file a rebuild touches, relative to `dir`.
    pub touched: &'static str,
}

/// Builds of several modes, round by round.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Series {
    /// The workspace's name.
    pub workspace: String,
    /// The file touched before each rebuild.
    pub touched: String,
    pub kind: Kind,
    pub profile: Profile,
    /// The modes, in the order of each round's timings.
    pub modes: Vec<String>,
    /// `rounds[i][m]`: mode `m`'s build in round `i`.
    pub rounds: Vec<Vec<Timing>>,
    /// `warning: cinline` lines of the builds' logs.
    pub warnings: Vec<String>,
}

/// Median, smallest and largest of some values, and the interval that
/// holds the median of what they were drawn from with 95% confidence.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// The median's interval ([`median_interval_rank`]): the smallest and
    /// largest values below 6 of them.
    pub low: f64,
    pub high: f64,
}

impl Spread {
    /// Of `values`; `None` if there are none.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let k = median_interval_rank(sorted.len()).unwrap_or(1);
        Some(Spread {
            median: crate::measure::median(&mut sorted),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            low: sorted[k - 1],
            high: sorted[sorted.len() - k],
        })
    }
}

/// The rank `k` (from 1, counted from either end of the sorted values)
/// of the values that bound the median of `n` values' distribution with
/// at least 95% confidence: the largest `k` with P(B < k) ≤ 2.5% for B
/// binomial (n, 1/2), as many values as fall below the median by chance
/// (the sign test's interval, which assumes nothing of the distribution:
/// build times are skewed by whatever else the machine does). `None`
/// below 6 values, where even the smallest and largest are not enough.
pub fn median_interval_rank(n: usize) -> Option<usize> {
    let mut k = None;
    // P(B <= j), summed term by term: C(n, j) / 2^n.
    let (mut term, mut below) = (0.5f64.powi(n as i32), 0.0);
    for j in 0..n / 2 {
        below += term;
        if below > 0.025 {
            break;
        }
        k = Some(j + 1);
        term *= (n - j) as f64 / (j + 1) as f64;
    }
    k
}

impl Series {
    fn column(&self, mode: Mode) -> Option<usize> {
        self.modes.iter().position(|m| m == mode.name())
    }

    /// `mode`'s times (`f` of each build).
    pub fn times(&self, mode: Mode, f: impl Fn(&Timing) -> f64) -> Option<Spread> {
        let m = self.column(mode)?;
        Spread::of(&self.rounds.iter().map(|r| f(&r[m])).collect::<Vec<_>>())
    }

    /// `mode`'s time less `base`'s time, round by round.
    pub fn difference(&self, mode: Mode, base: Mode, f: impl Fn(&Timing) -> f64) -> Option<Spread> {
        self.per_round(mode, base, |m, b| f(m) - f(b))
    }

    /// `mode`'s time over `base`'s time, round by round (the two built
    /// one after the other).
    pub fn ratio(&self, mode: Mode, base: Mode, f: impl Fn(&Timing) -> f64) -> Option<Spread> {
        self.per_round(mode, base, |m, b| f(m) / f(b))
    }

    /// `compare` of `mode`'s and `base`'s builds in each round.
    fn per_round(
        &self,
        mode: Mode,
        base: Mode,
        compare: impl Fn(&Timing, &Timing) -> f64,
    ) -> Option<Spread> {
        Spread::of(&self.each_round(mode, base, compare)?)
    }

    /// `compare` of `mode`'s and `base`'s builds, one value a round;
    /// `None` if the series has not both.
    pub fn each_round(
        &self,
        mode: Mode,
        base: Mode,
        compare: impl Fn(&Timing, &Timing) -> f64,
    ) -> Option<Vec<f64>> {
        let (m, b) = (self.column(mode)?, self.column(base)?);
        Some(self.rounds.iter().map(|r| compare(&r[m], &r[b])).collect())
    }
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

/// CPU seconds (user + system) of this process's waited-for descendants,
/// to the microsecond (`getrusage`; `/proc/self/stat` counts them in clock
/// ticks, 10 ms, as much as a tenth of a small rebuild's CPU time).
fn children_cpu_s() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    getrusage(UsageWho::RUSAGE_CHILDREN).map_or(0.0, |usage| {
        let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
        seconds(usage.user_time()) + seconds(usage.system_time())
    })
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
fn wait_for_quiet() {
    let start = Instant::now();
    while start.elapsed().as_secs() < 90 {
        let b0 = machine_busy_s();
        std::thread::sleep(std::time::Duration::from_secs(2));
        if (machine_busy_s() - b0) / 2.0 < 0.3 {
            return;
        }
    }
}

/// Makes this process the reaper of its descendants' orphans: a process
/// a build leaves behind (`cargo cinline`'s link server, which ends with
/// cargo) is then waited for here, and its CPU time counted in the
/// build's ([`children_cpu_s`]), not lost to init.
pub fn adopt_orphans() -> Result<()> {
    nix::sys::prctl::set_child_subreaper(true).context("cannot become a child subreaper")
}

/// Waits for the orphans of the build just ended (see [`adopt_orphans`]):
/// they end with it. The wall time is the build command's; their CPU time
/// is the build's.
fn reap_orphans() {
    while nix::sys::wait::waitpid(None, None).is_ok() {}
}

/// Runs `cmd`, its output to `log`; its times.
pub fn timed(mut cmd: Command, log: &Path) -> Result<Timing> {
    let file = std::fs::File::create(log)?;
    cmd.stdout(file.try_clone()?).stderr(file);
    let (cpu0, busy0) = (children_cpu_s(), machine_busy_s());
    let start = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    let wall_s = start.elapsed().as_secs_f64();
    reap_orphans();
    let cpu_s = children_cpu_s() - cpu0;
    let others = (machine_busy_s() - busy0 - cpu_s).max(0.0);
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{cmd:?} failed ({status}); {}:\n{}",
            log.display(),
            tail.join("\n")
        );
    }
    Ok(Timing {
        wall_s,
        cpu_s,
        others_cores: if wall_s > 0.0 { others / wall_s } else { 0.0 },
    })
}

fn touch(path: &Path) -> Result<()> {
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("cannot touch {}", path.display()))?;
    f.set_modified(SystemTime::now())?;
    Ok(())
}

/// Where `mode` builds `ws`.
pub fn target_dir(root: &Path, ws: &Workspace, mode: Mode) -> PathBuf {
    root.join(format!("{}-{}", ws.name, mode.name()))
}

/// The settings of a run of series.
pub struct Runner<'a> {
    pub tools: &'a Tools,
    /// Where the modes build.
    pub root: PathBuf,
    /// Where the build logs go.
    pub logs: PathBuf,
}

impl Runner<'_> {
    fn build(
        &self,
        ws: &Workspace,
        mode: Mode,
        profile: Profile,
        step: &str,
    ) -> Result<(Timing, PathBuf)> {
        let log = self.logs.join(format!(
            "{}-{}-{}-{step}.log",
            ws.name,
            mode.name(),
            profile.name()
        ));
        let cmd = mode.build_command(
            self.tools,
            &ws.dir,
            &target_dir(&self.root, ws, mode),
            profile,
        );
        Ok((timed(cmd, &log)?, log))
    }

    /// Builds `ws` once in each mode (untimed), so that what follows starts
    /// from a complete build.
    pub fn prepare(&self, ws: &Workspace, modes: &[Mode], profile: Profile) -> Result<()> {
        for &mode in modes {
            eprintln!("[{} {} {}] build", ws.name, mode.name(), profile.name());
            self.build(ws, mode, profile, "prepare")?;
        }
        Ok(())
    }

    /// `rounds` rounds of `kind` builds of `ws` in `profile`, each mode once
    /// a round, in an order rotating from round to round.
    pub fn series(
        &self,
        ws: &Workspace,
        modes: &[Mode],
        profile: Profile,
        kind: Kind,
        rounds: usize,
    ) -> Result<Series> {
        let mut series = Series {
            workspace: ws.name.into(),
            touched: ws.touched.into(),
            kind,
            profile,
            modes: modes.iter().map(|m| m.name().to_string()).collect(),
            rounds: Vec::new(),
            warnings: Vec::new(),
        };
        let kind_name = kind.name();
        for i in 0..rounds {
            let mut round = vec![Timing::default(); modes.len()];
            for k in 0..modes.len() {
                let m = (i + k) % modes.len();
                let mode = modes[m];
                match kind {
                    Kind::Clean => {
                        let dir = target_dir(&self.root, ws, mode);
                        if dir.exists() {
                            std::fs::remove_dir_all(&dir)
                                .with_context(|| format!("cannot remove {}", dir.display()))?;
                        }
                        wait_for_quiet();
                    }
                    Kind::Rebuild => touch(&ws.dir.join(ws.touched))?,
                    Kind::Fresh => {}
                }
                let (t, log) = self.build(ws, mode, profile, &format!("{kind_name}{i}"))?;
                eprintln!(
                    "[{} {} {}] {kind_name} {i}: {:.2} s, {:.2} s CPU, others {:.2} cores",
                    ws.name,
                    mode.name(),
                    profile.name(),
                    t.wall_s,
                    t.cpu_s,
                    t.others_cores
                );
                for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
                    if line.contains("warning: cinline")
                        && !series.warnings.iter().any(|w| w == line)
                    {
                        series.warnings.push(line.to_string());
                    }
                }
                round[m] = t;
            }
            series.rounds.push(round);
        }
        Ok(series)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_interval_has_the_sign_tests_ranks() {
        // Tables of the sign test: n = 6: 1, 15: 4, 30: 10, 100: 40.
        assert_eq!(median_interval_rank(5), None);
        assert_eq!(median_interval_rank(6), Some(1));
        assert_eq!(median_interval_rank(15), Some(4));
        assert_eq!(median_interval_rank(30), Some(10));
        assert_eq!(median_interval_rank(100), Some(40));
    }

    #[test]
    fn a_spread_bounds_its_median_by_those_ranks() {
        let values: Vec<f64> = (1..=15).rev().map(f64::from).collect();
        let s = Spread::of(&values).unwrap();
        assert_eq!(
            (s.min, s.low, s.median, s.high, s.max),
            (1.0, 4.0, 8.0, 12.0, 15.0)
        );
        let few = Spread::of(&[2.0, 1.0, 3.0]).unwrap();
        assert_eq!((few.low, few.high), (1.0, 3.0));
    }
}
