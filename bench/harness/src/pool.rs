//! `--pool`: the build series of several runs' `results.json`, their
//! rounds taken together.
//!
//! Why: on a shared machine one run's median ratio moves from run to run
//! by more than its own interval says (the workloads' release rebuild of
//! the same code: 1.13x, 1.08x, 1.11x, 1.08x in four runs, each with an
//! interval 0.05-0.09 wide). A round's ratio is taken within the round, so
//! rounds of runs made hours apart can be pooled; their median and its
//! interval (the same sign test as one run's) are the steadier figure.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::builds::{Series, Spread, Timing};
use crate::modes::Mode;

/// What `--pool` reads of a `results.json`.
#[derive(serde::Deserialize)]
struct Saved {
    series: Vec<Series>,
}

/// One series (workspace, kind, profile) and mode, over all the files.
struct Pooled {
    series: String,
    mode: Mode,
    /// Each file's median wall ratio to `plain`.
    run_medians: Vec<f64>,
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

/// The table of every series and mode of `files`, as ratios to `plain`:
/// each file's median, then all their rounds together.
pub fn table(files: &[PathBuf]) -> Result<String> {
    let mut runs = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let saved: Saved = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a cinline-bench results.json", file.display()))?;
        runs.push(saved.series);
    }
    let mut out = String::from(
        "| series | mode | runs' median wall ratios | rounds | pooled wall ratio, median [95% interval] | pooled CPU ratio, median |\n\
         |---|---|---|---:|---|---:|\n",
    );
    for p in pool(&runs) {
        let (Some(wall), Some(cpu)) = (Spread::of(&p.wall), Spread::of(&p.cpu)) else {
            continue;
        };
        let medians: Vec<String> = p.run_medians.iter().map(|m| format!("{m:.3}")).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} [{:.3}-{:.3}] | {:.3} |",
            p.series,
            p.mode.name(),
            medians.join(", "),
            p.wall.len(),
            wall.median,
            wall.low,
            wall.high,
            cpu.median
        );
    }
    Ok(out)
}

/// Each series and mode of `runs` (each run's series), in the order they
/// first appear, with every run's rounds.
fn pool(runs: &[Vec<Series>]) -> Vec<Pooled> {
    let mut pooled: Vec<Pooled> = Vec::new();
    for s in runs.iter().flatten() {
        let name = format!("{}, {}, {}", s.workspace, s.profile.name(), s.kind.name());
        let modes = s.modes.iter().filter_map(|m| Mode::from_name(m));
        for mode in modes.filter(|&m| m != Mode::Plain) {
            let ratio = |f: fn(&Timing) -> f64| s.each_round(mode, Mode::Plain, |m, b| f(m) / f(b));
            let (Some(wall), Some(cpu)) = (ratio(|t| t.wall_s), ratio(|t| t.cpu_s)) else {
                continue;
            };
            let at = match pooled
                .iter()
                .position(|p| p.series == name && p.mode == mode)
            {
                Some(at) => at,
                None => {
                    pooled.push(Pooled {
                        series: name.clone(),
                        mode,
                        run_medians: Vec::new(),
                        wall: Vec::new(),
                        cpu: Vec::new(),
                    });
                    pooled.len() - 1
                }
            };
            let p = &mut pooled[at];
            p.run_medians.extend(Spread::of(&wall).map(|s| s.median));
            p.wall.extend(wall);
            p.cpu.extend(cpu);
        }
    }
    pooled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builds::Kind;
    use crate::modes::Profile;

    /// A rebuild series of plain and cinline: `walls[i]` is round i's
    /// (plain, cinline) wall time; CPU twice the wall.
    fn series(walls: &[(f64, f64)]) -> Series {
        let timing = |wall_s: f64| Timing {
            wall_s,
            cpu_s: 2.0 * wall_s,
            others_cores: 0.0,
        };
        Series {
            workspace: "workloads".into(),
            touched: "bench/src/common.rs".into(),
            kind: Kind::Rebuild,
            profile: Profile::Release,
            modes: vec!["plain".into(), "cinline".into()],
            rounds: walls
                .iter()
                .map(|&(p, c)| vec![timing(p), timing(c)])
                .collect(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn runs_pool_their_rounds_and_keep_their_own_medians() {
        let a = series(&[(1.0, 1.1), (1.0, 1.3), (1.0, 1.2)]);
        let b = series(&[(2.0, 2.0), (2.0, 2.2), (2.0, 2.1)]);
        let pooled = pool(&[vec![a], vec![b]]);
        assert_eq!(pooled.len(), 1, "one series, one mode besides plain");
        let p = &pooled[0];
        assert_eq!(p.series, "workloads, release, rebuild");
        assert_eq!(p.mode, Mode::Cinline);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(close(p.run_medians[0], 1.2) && close(p.run_medians[1], 1.05));
        let pooled_median = Spread::of(&p.wall).unwrap().median;
        assert!(close(pooled_median, 1.1), "{pooled_median}");
        assert_eq!(p.wall.len(), 6);
    }
}
