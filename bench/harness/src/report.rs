//! `results.json`, `RESULTS.md` and `results.svg`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::modes::Mode;
use crate::{Results, RuntimeResult, Tools, WORKLOADS};

/// One target of the issue, checked.
struct Target {
    what: String,
    met: Option<bool>,
    /// The difference is within run-to-run noise: `met` is what was
    /// measured, not a verdict.
    unresolved: bool,
    figures: String,
}

fn find<'a>(r: &'a Results, workload: &str, mode: Mode) -> Option<&'a RuntimeResult> {
    r.runtime
        .iter()
        .find(|x| x.workload == workload && x.mode == mode.name())
}

fn ipo(r: &Results, workload: &str, mode: Mode) -> Option<f64> {
    find(r, workload, mode)?.instructions_per_op
}

fn build_of(r: &Results, mode: Mode) -> Option<&crate::BuildResult> {
    r.build.iter().find(|b| b.mode == mode.name())
}

fn targets(r: &Results) -> Vec<Target> {
    let mut out = Vec::new();
    let mut within = Vec::new();
    let mut all = Some(true);
    for w in WORKLOADS {
        match (ipo(r, w, Mode::Cinline), ipo(r, w, Mode::Native)) {
            (Some(c), Some(n)) => {
                let d = (c - n) / n * 100.0;
                within.push(format!("{w} {c:.2} vs {n:.2} ({d:+.2}%)"));
                if d.abs() > 2.0 {
                    all = all.map(|_| false);
                }
            }
            _ => {
                within.push(format!("{w} n/a"));
                if find(r, w, Mode::Cinline).is_none() || find(r, w, Mode::Native).is_none() {
                    all = None;
                }
            }
        }
    }
    out.push(Target {
        what: "`cinline` within 2% of `native` instructions per operation on every workload".into(),
        met: all,
        unresolved: false,
        figures: within.join("; "),
    });
    let mut figs = Vec::new();
    let mut met = Some(true);
    for w in ["refcount", "arith"] {
        match (ipo(r, w, Mode::Plain), ipo(r, w, Mode::Cinline)) {
            (Some(p), Some(c)) => {
                let x = p / c;
                let limit = ipo(r, w, Mode::Native)
                    .map(|n| format!(" (plain / native = {:.2}x)", p / n))
                    .unwrap_or_default();
                figs.push(format!("{w} {p:.2} / {c:.2} = {x:.2}x{limit}"));
                if x < 2.0 {
                    met = met.map(|_| false);
                }
            }
            _ => {
                figs.push(format!("{w} n/a"));
                met = None;
            }
        }
    }
    out.push(Target {
        what: "`cinline` at least 2x fewer instructions per operation than `plain` on refcount and arithmetic".into(),
        met,
        unresolved: false,
        figures: figs.join("; "),
    });
    let (p, c, x) = (
        build_of(r, Mode::Plain),
        build_of(r, Mode::Cinline),
        build_of(r, Mode::Xlto),
    );
    let goal = "`cinline` build time at most 10% above `plain`";
    let wall = |t: &crate::Timing| t.wall_s;
    let cpu = |t: &crate::Timing| t.cpu_s;
    let clean = |b: Option<&crate::BuildResult>| b.map(|b| b.clean_runs.clone());
    let ws = |b: Option<&crate::BuildResult>| b.map(|b| b.workspace_runs.clone());
    let rb = |b: Option<&crate::BuildResult>| b.map(|b| b.rebuild_runs.clone());
    out.push(compare(format!("{goal}: clean build, wall time"), clean(c), clean(p), wall, 1.10, ""));
    out.push(compare(format!("{goal}: clean build, CPU time"), clean(c), clean(p), cpu, 1.10, "CPU "));
    out.push(compare(format!("{goal}: workspace crates only, wall time"), ws(c), ws(p), wall, 1.10, ""));
    out.push(compare(format!("{goal}: workspace crates only, CPU time"), ws(c), ws(p), cpu, 1.10, "CPU "));
    let goal = "`cinline` rebuilds faster than `xlto` after a one-file change";
    out.push(compare(format!("{goal}: wall time"), rb(c), rb(x), wall, 1.0, ""));
    out.push(compare(format!("{goal}: CPU time"), rb(c), rb(x), cpu, 1.0, "CPU "));
    out
}

/// Median and run-to-run noise (half the range, relative to the median).
fn spread(runs: &[f64]) -> Option<(f64, f64)> {
    if runs.is_empty() {
        return None;
    }
    let median = crate::measure::median(&mut runs.to_vec());
    let lo = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = runs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((median, (hi - lo) / 2.0 / median))
}

/// `cinline` (runs `c`) against another mode (runs `o`): met when
/// median(c) <= limit * median(o) (strictly below for limit 1.0);
/// unresolved when the ratio is closer to the limit than the two modes'
/// run-to-run noise added.
fn compare(
    what: String,
    c: Option<Vec<crate::Timing>>,
    o: Option<Vec<crate::Timing>>,
    f: impl Fn(&crate::Timing) -> f64,
    limit: f64,
    unit: &str,
) -> Target {
    let values = |runs: Option<Vec<crate::Timing>>| runs.map(|r| r.iter().map(&f).collect::<Vec<f64>>());
    match (values(c).as_deref().and_then(spread), values(o).as_deref().and_then(spread)) {
        (Some((c, cn)), Some((o, on))) => {
            let ratio = c / o;
            let met = if limit > 1.0 { ratio <= limit } else { ratio < limit };
            Target {
                what,
                met: Some(met),
                unresolved: (ratio - limit).abs() < cn + on,
                figures: format!(
                    "{c:.2} s vs {o:.2} s {unit}({:+.1}%); run-to-run noise ±{:.1}% / ±{:.1}%",
                    (ratio - 1.0) * 100.0,
                    cn * 100.0,
                    on * 100.0
                ),
            }
        }
        _ => Target {
            what,
            met: None,
            unresolved: false,
            figures: "not measured".into(),
        },
    }
}

fn mark(t: &Target) -> &'static str {
    match (t.met, t.unresolved) {
        (Some(true), false) => "met",
        (Some(false), false) => "**missed**",
        (Some(true), true) => "unresolved: within noise (measured: met)",
        (Some(false), true) => "unresolved: within noise (measured: missed)",
        (None, _) => "n/a",
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.digits$}"))
}

pub fn write_all(out: &Path, r: &Results, tools: &Tools) -> Result<()> {
    let targets = targets(r);
    let json = serde_json::json!({
        "machine": r.machine.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
        "config": r.config,
        "runtime": r.runtime,
        "build": r.build,
        "engines": r.engines,
        "targets": targets.iter().map(|t| serde_json::json!({"target": t.what, "met": t.met, "within_noise": t.unresolved, "figures": t.figures})).collect::<Vec<_>>(),
        "failures": r.failures,
        "checksum_problems": r.checksum_problems,
        "total_s": r.total_s,
    });
    std::fs::write(out.join("results.json"), serde_json::to_string_pretty(&json)? + "\n")
        .context("cannot write results.json")?;
    std::fs::write(out.join("RESULTS.md"), markdown(r, &targets, tools)).context("cannot write RESULTS.md")?;
    chart(&out.join("results.svg"), r).map_err(|e| anyhow::anyhow!("chart: {e}"))?;
    Ok(())
}

fn markdown(r: &Results, targets: &[Target], tools: &Tools) -> String {
    let mut s = String::new();
    let modes = &r.modes;
    let _ = writeln!(s, "# cinline benchmark results\n");
    let _ = writeln!(
        s,
        "Generated by `scripts/bench.sh` (the harness `bench/harness`, {:.0} s for this run). \
         Workloads: `bench/workloads`; what each mode is and how it is measured: `bench/README.md`.\n",
        r.total_s
    );
    let _ = writeln!(s, "![instructions per operation and build times](results.svg)\n");
    let _ = writeln!(s, "## Targets\n");
    let _ = writeln!(s, "| target | result | figures |\n|---|---|---|");
    for t in targets {
        let _ = writeln!(s, "| {} | {} | {} |", t.what, mark(t), t.figures);
    }
    let header = |s: &mut String, first: &str| {
        let _ = write!(s, "\n| {first} |");
        for m in modes {
            let _ = write!(s, " {} |", m.name());
        }
        let _ = write!(s, "\n|---|");
        for _ in modes {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s);
    };
    let _ = writeln!(
        s,
        "\n## Instructions per operation\n\n`valgrind --tool=callgrind`, whole program, \
         (instructions with {base}+N operations - instructions with {base}) / N, N = {n}: deterministic.",
        base = 10_000,
        n = r.config["callgrind_ops"]
    );
    header(&mut s, "workload");
    for w in WORKLOADS {
        let _ = write!(s, "| {w} |");
        for &m in modes {
            let _ = write!(s, " {} |", opt(ipo(r, w, m), 2));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n## Wall time per operation (ns)\n\nMedian of {runs} runs of {ops} operations each (timed inside the \
         program, start-up excluded), modes interleaved. Noisy on a shared 2-core machine: trust the \
         instruction counts first.",
        runs = r.config["runs"],
        ops = r.config["time_ops"]
    );
    header(&mut s, "workload");
    for w in WORKLOADS {
        let _ = write!(s, "| {w} |");
        for &m in modes {
            let v = find(r, w, m).and_then(|x| {
                if x.unavailable.is_some() {
                    None
                } else {
                    x.ns_per_op
                }
            });
            let _ = write!(s, " {} |", opt(v, 2));
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n## Code size\n\n`.text` bytes of each workload's binary (std included), then in parentheses \
         the bytes of its `run_workload` loop function and the out-of-line C helpers \
         (`*__extern` wrappers) left in the binary."
    );
    header(&mut s, "workload");
    for w in WORKLOADS {
        let _ = write!(s, "| {w} |");
        for &m in modes {
            match find(r, w, m) {
                Some(x) => {
                    let _ = write!(
                        s,
                        " {} ({} B, {} helpers) |",
                        x.text_bytes, x.run_fn_bytes, x.helper_symbols
                    );
                }
                None => {
                    let _ = write!(s, " n/a |");
                }
            }
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\n## Build time (s)\n\n- clean: median of {} builds after `rm -rf` of the mode's target directory \
         (every dependency: bindgen, cinline-build, ...);\n- workspace crates: median of {} builds after \
         `cargo clean -p` of the four workspace packages (build scripts with bindgen and the C compiles, \
         the libraries, the four binaries);\n- rebuild: median of {} builds after touching `{}` (the four \
         binaries are rebuilt).\n",
        r.config["clean_builds"],
        r.config["workspace_builds"],
        r.config["rebuilds"],
        r.config["touched_file"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        s,
        "Each cell: wall time / CPU time (user + system of the build's processes), in seconds. \
         The machine is shared: \"others\" is how many cores other processes kept busy during \
         the builds, on average (clean / workspace / rebuild); where it is well above 0, the wall \
         times are inflated and the CPU times are the ones to compare.\n"
    );
    let _ = writeln!(
        s,
        "| mode | clean | workspace crates | rebuild | others (cores) | clean runs (wall / CPU) | workspace runs (wall) | rebuild runs (wall) |\n|---|---:|---:|---:|---|---|---|---|"
    );
    let list = |v: &[crate::Timing]| v.iter().map(|t| format!("{:.2}", t.wall_s)).collect::<Vec<_>>().join(", ");
    let avg_others = |v: &[crate::Timing]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().map(|t| t.others_cores).sum::<f64>() / v.len() as f64
        }
    };
    for b in &r.build {
        let _ = writeln!(
            s,
            "| {} | {} / {} | {:.2} / {:.2} | {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {} | {} | {} |",
            b.mode,
            opt(b.clean_build_s, 1),
            opt(b.clean_build_cpu_s, 1),
            b.workspace_build_s,
            b.workspace_build_cpu_s,
            b.rebuild_s,
            b.rebuild_cpu_s,
            avg_others(&b.clean_runs),
            avg_others(&b.workspace_runs),
            avg_others(&b.rebuild_runs),
            b.clean_runs.iter().map(|t| format!("{:.1} / {:.1}", t.wall_s, t.cpu_s)).collect::<Vec<_>>().join(", "),
            list(&b.workspace_runs),
            list(&b.rebuild_runs)
        );
    }
    if !r.engines.is_empty() {
        let _ = writeln!(
            s,
            "\n## `cinline link` alone\n\nOn the bitcode of each workload binary kept by the \
             `cinline-llvm-tools` build (`rustc --emit=llvm-bc`, opt-level 3, one codegen unit), with \
             both -sys crates' helper bitcode, `--reconcile --opt-level 3`: median wall time of 3 runs \
             (libLLVM load included) and the bytes of `run_workload` in the object written.\n"
        );
        let _ = write!(s, "| workload |");
        for (v, _) in crate::engines::VARIANTS {
            let _ = write!(s, " {v} |");
        }
        let _ = write!(s, "\n|---|");
        for _ in crate::engines::VARIANTS {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s);
        for w in WORKLOADS {
            let _ = write!(s, "| {w} |");
            for (v, _) in crate::engines::VARIANTS {
                match r.engines.iter().find(|e| e.workload == w && e.variant == v) {
                    Some(e) => {
                        let _ = write!(s, " {:.3} s, {} B |", e.seconds, e.run_fn_bytes);
                    }
                    None => {
                        let _ = write!(s, " n/a |");
                    }
                }
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s, "\n## Modes\n");
    let _ = writeln!(s, "| mode | build command |\n|---|---|");
    for m in modes {
        let _ = writeln!(s, "| {} | {} |", m.name(), m.how(tools));
    }
    let _ = writeln!(s, "\n## Notes\n");
    let mut notes = 0;
    if let (Some(p), Some(c)) = (build_of(r, Mode::Plain), build_of(r, Mode::Cinline)) {
        let per_bin = (c.rebuild_cpu_s - p.rebuild_cpu_s) / 4.0 * 1000.0;
        let _ = writeln!(
            s,
            "- cinline over plain, CPU time: rebuild {:+.2} s for the 4 binaries ({per_bin:+.0} ms per binary), \
             workspace crates {:+.2} s, clean build {}.",
            c.rebuild_cpu_s - p.rebuild_cpu_s,
            c.workspace_build_cpu_s - p.workspace_build_cpu_s,
            match (c.clean_build_cpu_s, p.clean_build_cpu_s) {
                (Some(c), Some(p)) => format!("{:+.1} s", c - p),
                _ => "not measured".into(),
            }
        );
        notes += 1;
    }
    for b in &r.build {
        if !b.link_seconds.is_empty() {
            let total: f64 = b.link_seconds.iter().sum();
            let _ = writeln!(
                s,
                "- {}: `cinline link --engine llvm-tools` took {:.2} s in all for {} binaries (workspace build).",
                b.mode,
                total,
                b.link_seconds.len()
            );
            notes += 1;
        }
        for w in &b.warnings {
            let _ = writeln!(s, "- {}: {}", b.mode, w.trim());
            notes += 1;
        }
    }
    for x in &r.runtime {
        if let Some(why) = &x.unavailable {
            let _ = writeln!(s, "- {} / {}: runtime unavailable: {why}", x.workload, x.mode);
            notes += 1;
        }
    }
    for p in &r.checksum_problems {
        let _ = writeln!(s, "- **checksums differ between modes**: {p}");
        notes += 1;
    }
    for f in &r.failures {
        let _ = writeln!(s, "- **mode failed**: {f}");
        notes += 1;
    }
    if r.checksum_problems.is_empty() {
        let _ = writeln!(s, "- Every mode printed the same checksum for each workload.");
        notes += 1;
    }
    if notes == 0 {
        let _ = writeln!(s, "- none");
    }
    let _ = writeln!(s, "\n## Machine and tools\n\n| | |\n|---|---|");
    for (k, v) in &r.machine {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    s
}

fn color(mode: &str) -> RGBColor {
    match mode {
        "plain" => RGBColor(150, 150, 150),
        "cinline" => RGBColor(31, 119, 180),
        "cinline-llvm-tools" => RGBColor(120, 180, 230),
        "xlto" => RGBColor(255, 127, 14),
        "native" => RGBColor(44, 160, 44),
        _ => RGBColor(0, 0, 0),
    }
}

type DrawResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A value label: centered above its point.
fn label_style(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom))
}

/// An axis label: centered below its point.
fn axis_style(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(HPos::Center, VPos::Top))
}

/// A backend (whole picture) pixel as a pixel of `area`.
fn area_coord<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    (x, y): (i32, i32),
) -> (i32, i32) {
    let (bx, by) = area.get_base_pixel();
    (x - bx, y - by)
}

fn chart(path: &Path, r: &Results) -> DrawResult<()> {
    let root = SVGBackend::new(path, (1200, 860)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(470);
    let (bottom_left, bottom_right) = bottom.split_horizontally(600);
    let modes: Vec<&str> = r.modes.iter().map(|m| m.name()).collect();
    let nm = modes.len().max(1) as f64;

    // Instructions per operation, grouped by workload.
    let ymax = r
        .runtime
        .iter()
        .filter_map(|x| x.instructions_per_op)
        .fold(1.0, f64::max)
        * 1.15;
    let nw = WORKLOADS.len() as f64;
    let mut ch = ChartBuilder::on(&top)
        .caption(
            "Instructions per operation (callgrind; lower is better)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..nw, 0f64..ymax)?;
    ch.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_max_light_lines(1)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("instructions / operation")
        .label_style(("sans-serif", 14))
        .draw()?;
    let bar_w = 0.8 / nm;
    for (mi, mode) in modes.iter().enumerate() {
        let c = color(mode);
        let bars: Vec<(f64, f64)> = WORKLOADS
            .iter()
            .enumerate()
            .filter_map(|(wi, w)| {
                let v = r
                    .runtime
                    .iter()
                    .find(|x| x.workload == *w && x.mode == *mode)?
                    .instructions_per_op?;
                Some((wi as f64 + 0.1 + mi as f64 * bar_w, v))
            })
            .collect();
        ch.draw_series(bars.iter().map(|&(x, v)| {
            Rectangle::new([(x, 0.0), (x + bar_w * 0.92, v)], c.filled())
        }))?
        .label(*mode)
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
        ch.draw_series(bars.iter().map(|&(x, v)| {
            Text::new(format!("{v:.1}"), (x + bar_w * 0.46, v + ymax * 0.005), label_style(11))
        }))?;
    }
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    for (wi, w) in WORKLOADS.iter().enumerate() {
        let (px, py) = area_coord(&top, ch.backend_coord(&(wi as f64 + 0.5, 0.0)));
        top.draw(&Text::new(w.to_string(), (px, py + 6), axis_style(16)))?;
    }

    // Build times per mode.
    let panel = |area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
                 title: &str,
                 values: Vec<(String, Option<f64>, Option<f64>)>,
                 second: &str|
     -> DrawResult<()> {
        let ymax = values
            .iter()
            .flat_map(|(_, a, b)| [*a, *b])
            .flatten()
            .fold(0.1, f64::max)
            * 1.18;
        let n = values.len().max(1) as f64;
        let mut ch = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(50)
            .build_cartesian_2d(0f64..n, 0f64..ymax)?;
        ch.configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_max_light_lines(1)
            .y_desc("seconds")
            .label_style(("sans-serif", 13))
            .draw()?;
        for (i, (mode, a, b)) in values.iter().enumerate() {
            let c = color(mode);
            let x = i as f64;
            let two = b.is_some();
            let w = if two { 0.38 } else { 0.7 };
            if let Some(a) = a {
                ch.draw_series(std::iter::once(Rectangle::new(
                    [(x + 0.12, 0.0), (x + 0.12 + w, *a)],
                    c.filled(),
                )))?;
                ch.draw_series(std::iter::once(Text::new(
                    format!("{a:.1}"),
                    (x + 0.12 + w / 2.0, a + ymax * 0.005),
                    label_style(11),
                )))?;
            }
            if let Some(b) = b {
                let x0 = x + 0.12 + w + 0.02;
                ch.draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x0 + w, *b)],
                    c.mix(0.45).filled(),
                )))?;
                ch.draw_series(std::iter::once(Text::new(
                    format!("{b:.1}"),
                    (x0 + w / 2.0, b + ymax * 0.005),
                    label_style(11),
                )))?;
            }
            let (px, py) = area_coord(area, ch.backend_coord(&(x + 0.5, 0.0)));
            area.draw(&Text::new(mode.clone(), (px, py + 6), axis_style(12)))?;
        }
        if !second.is_empty() {
            let (px, py) = area_coord(area, ch.backend_coord(&(0.1, ymax * 0.97)));
            area.draw(&Text::new(second.to_string(), (px, py), ("sans-serif", 12).into_font()))?;
        }
        Ok(())
    };
    let clean: Vec<(String, Option<f64>, Option<f64>)> = r
        .build
        .iter()
        .map(|b| (b.mode.clone(), b.clean_build_s, b.clean_build_cpu_s))
        .collect();
    panel(
        &bottom_left,
        "Clean release build: wall (dark), CPU (light)",
        clean,
        "",
    )?;
    let rebuild: Vec<(String, Option<f64>, Option<f64>)> = r
        .build
        .iter()
        .map(|b| (b.mode.clone(), Some(b.rebuild_s), Some(b.rebuild_cpu_s)))
        .collect();
    panel(
        &bottom_right,
        "Rebuild after touching one file: wall (dark), CPU (light)",
        rebuild,
        "",
    )?;
    root.present()?;
    Ok(())
}
