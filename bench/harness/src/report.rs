//! `RESULTS.md` (the tables) and `results.json` (every figure).

use std::fmt::Write as _;

use anyhow::{Context, Result};

use crate::builds::{Kind, Series, Spread, Timing};
use crate::modes::{Mode, Profile};
use crate::{Results, RuntimeResult, Tools, WORKLOADS};

fn find<'a>(r: &'a Results, workload: &str, mode: Mode) -> Option<&'a RuntimeResult> {
    r.runtime
        .iter()
        .find(|x| x.workload == workload && x.mode == mode.name())
}

fn ipo(r: &Results, workload: &str, mode: Mode) -> Option<f64> {
    find(r, workload, mode)?.instructions_per_op
}

fn series<'a>(r: &'a Results, ws: &str, kind: Kind, profile: Profile) -> Option<&'a Series> {
    r.series
        .iter()
        .find(|s| s.workspace == ws && s.kind == kind && s.profile == profile)
}

fn wall(t: &Timing) -> f64 {
    t.wall_s
}

fn cpu(t: &Timing) -> f64 {
    t.cpu_s
}

/// `1.07x (1.01-1.15)`.
fn ratio_text(s: Spread) -> String {
    format!("{:.2}x ({:.2}-{:.2})", s.median, s.min, s.max)
}

/// One line of the targets table: what, met or not (`None`: not measured),
/// the figures.
fn target_row(out: &mut String, what: &str, met: Option<bool>, figures: &str) {
    let mark = match met {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not measured",
    };
    let _ = writeln!(out, "| {what} | {mark} | {figures} |");
}

/// A build-time target: `mode`'s time over `base`'s at most `limit`.
/// `extra`: more figures, after the ratios.
fn ratio_target(
    out: &mut String,
    what: &str,
    s: Option<&Series>,
    (mode, base): (Mode, Mode),
    limit: f64,
    extra: &str,
) {
    let ratios = s.and_then(|s| Some((s.ratio(mode, base, wall)?, s.ratio(mode, base, cpu)?)));
    match ratios {
        Some((w, c)) => {
            let sure = if w.high <= limit {
                "below the limit"
            } else if w.low > limit {
                "above the limit"
            } else {
                "holds the limit: undecided"
            };
            target_row(
                out,
                what,
                Some(w.median <= limit),
                &format!(
                    "wall {}, CPU {}; the wall median's 95% interval {:.2}-{:.2} {sure}{extra}",
                    ratio_text(w),
                    ratio_text(c),
                    w.low,
                    w.high
                ),
            );
        }
        None => target_row(out, what, None, ""),
    }
}

fn targets(out: &mut String, r: &Results) {
    out.push_str("| target | result | figures |\n|---|---|---|\n");
    // alloc has no Rust version: mimalloc's C is its allocator in every
    // mode; it is compared with cross-language LTO below.
    let inlined = ["refcount", "arith", "accessors", "uring"];
    let mut figures = Vec::new();
    let mut met = Some(true);
    for w in inlined {
        match (ipo(r, w, Mode::Cinline), ipo(r, w, Mode::Native)) {
            (Some(c), Some(n)) => {
                let d = (c - n) / n * 100.0;
                figures.push(format!("{w} {c:.2} vs {n:.2} ({d:+.2}%)"));
                met = met.map(|m| m && d.abs() <= 2.0);
            }
            _ => met = None,
        }
    }
    target_row(
        out,
        "`cinline` within 2% of `native` instructions per operation (the four helper workloads)",
        met,
        &figures.join("; "),
    );
    let mut figures = Vec::new();
    let mut met = Some(true);
    for w in ["refcount", "arith"] {
        match (ipo(r, w, Mode::Plain), ipo(r, w, Mode::Cinline)) {
            (Some(p), Some(c)) => {
                // Native Rust is the limit: where plain is less than 2x
                // native, no mode can meet the target.
                let limit = ipo(r, w, Mode::Native)
                    .map(|n| format!(" (native {:.2}x)", p / n))
                    .unwrap_or_default();
                figures.push(format!("{w} {p:.2} / {c:.2} = {:.2}x{limit}", p / c));
                met = met.map(|m| m && p / c >= 2.0);
            }
            _ => met = None,
        }
    }
    target_row(
        out,
        "`cinline` at least 2x fewer instructions per operation than `plain` on refcount and arith",
        met,
        &figures.join("; "),
    );
    // Captured C (issue #13): mimalloc, unmodified, against rustc's
    // cross-language ThinLTO of the same C.
    let (met, figures) = match (
        ipo(r, "alloc", Mode::Plain),
        ipo(r, "alloc", Mode::Cinline),
        ipo(r, "alloc", Mode::Xlto),
    ) {
        (Some(p), Some(c), Some(x)) => (
            Some(c <= x * 1.05),
            format!("plain {p:.2}, cinline {c:.2}, xlto {x:.2}"),
        ),
        _ => (None, String::new()),
    };
    target_row(
        out,
        "alloc (mimalloc's C, captured): `cinline` at most 5% above `xlto` instructions per operation",
        met,
        &figures,
    );
    let clean = series(r, "workloads", Kind::Clean, Profile::Release);
    ratio_target(
        out,
        "clean build: `cinline` at most 1.10x `plain`",
        clean,
        (Mode::Cinline, Mode::Plain),
        1.10,
        "",
    );
    // What `cargo cinline` costs whatever it builds: liburing's builds
    // with nothing changed, `cinline` less `plain`.
    let fixed = series(r, "liburing", Kind::Fresh, Profile::Release)
        .and_then(|s| s.difference(Mode::Cinline, Mode::Plain, wall))
        .map(|d| d.median);
    for ws in ["workloads", "liburing", "program"] {
        for profile in [Profile::Release, Profile::Dev] {
            let s = series(r, ws, Kind::Rebuild, profile);
            let what = format!(
                "{ws}, {} profile, rebuild: `cinline` at most 1.10x `plain` (issue #14)",
                profile.name()
            );
            // The floor under the ratio: the fixed cost alone, had cinline
            // cost nothing per crate.
            let floor = match (fixed, s.and_then(|s| s.times(Mode::Plain, wall))) {
                (Some(fixed), Some(plain)) => format!(
                    "; the fixed cost alone ({:+.1} ms) would be {:.2}x",
                    fixed * 1000.0,
                    (plain.median + fixed) / plain.median
                ),
                _ => String::new(),
            };
            ratio_target(out, &what, s, (Mode::Cinline, Mode::Plain), 1.10, &floor);
        }
    }
    let s = series(r, "workloads", Kind::Rebuild, Profile::Release);
    ratio_target(
        out,
        "workloads, release rebuild: `cinline` faster than `xlto`",
        s,
        (Mode::Cinline, Mode::Xlto),
        1.0,
        "",
    );
}

/// A table with a row per workload and a column per mode.
fn per_workload(out: &mut String, r: &Results, cell: impl Fn(&RuntimeResult) -> String) {
    out.push_str("| workload |");
    for m in &r.options.modes {
        let _ = write!(out, " {} |", m.name());
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(r.options.modes.len()));
    out.push('\n');
    for w in WORKLOADS {
        let _ = write!(out, "| {w} |");
        for &m in &r.options.modes {
            let text = find(r, w, m).map_or_else(
                || "failed".into(),
                |x| match &x.unavailable {
                    Some(why) => format!("unavailable ({why})"),
                    None => cell(x),
                },
            );
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

/// A table of one series: per mode, the median wall and CPU time, the
/// ratio to `plain` of the rounds, each round's wall time.
fn series_table(out: &mut String, s: &Series) {
    out.push_str("| mode | wall (s), median (min-max) | CPU (s), median | ratio to plain: wall | ratio to plain: CPU | others (cores) | runs (wall s) |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---|\n");
    for name in &s.modes {
        let Some(mode) = Mode::from_name(name) else {
            continue;
        };
        let (Some(w), Some(c)) = (s.times(mode, wall), s.times(mode, cpu)) else {
            continue;
        };
        let others = s.times(mode, |t| t.others_cores).map_or(0.0, |o| o.median);
        let ratio = |f: fn(&Timing) -> f64| {
            if mode == Mode::Plain {
                "1".into()
            } else {
                s.ratio(mode, Mode::Plain, f)
                    .map_or_else(|| "n/a".into(), ratio_text)
            }
        };
        let m = s.modes.iter().position(|x| x == name).unwrap_or(0);
        // Milliseconds count where nothing is built.
        let d = if s.kind == Kind::Fresh { 3 } else { 2 };
        let runs: Vec<String> = s
            .rounds
            .iter()
            .map(|r| format!("{:.d$}", r[m].wall_s))
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {:.d$} ({:.d$}-{:.d$}) | {:.d$} | {} | {} | {others:.2} | {} |",
            w.median,
            w.min,
            w.max,
            c.median,
            ratio(wall),
            ratio(cpu),
            runs.join(", ")
        );
    }
}

/// Below a series of builds with nothing changed: how much longer than
/// `plain` the other modes took, in milliseconds (each round's difference).
fn fixed_cost(out: &mut String, s: &Series) {
    for name in s.modes.iter().filter(|m| *m != Mode::Plain.name()) {
        let Some(mode) = Mode::from_name(name) else {
            continue;
        };
        let (Some(w), Some(c)) = (
            s.difference(mode, Mode::Plain, wall),
            s.difference(mode, Mode::Plain, cpu),
        ) else {
            continue;
        };
        let ms = |x: f64| x * 1000.0;
        let _ = writeln!(
            out,
            "\n`{name}` took {:.1} ms more than `plain` ({:.1} to {:.1}), {:.1} ms more CPU: what it costs \
             before and after cargo's own work, whatever the build (for `cargo cinline`: cargo's dispatch of the \
             subcommand, a second start of cargo, `cargo-cinline` and its link server).",
            ms(w.median),
            ms(w.min),
            ms(w.max),
            ms(c.median)
        );
    }
}

fn markdown(r: &Results, tools: &Tools) -> String {
    let o = &r.options;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# cinline benchmark results\n\nGenerated by `scripts/bench.sh` (the harness `bench/harness`, {:.0} s for this run: \
         {} timed runs, {} rebuild rounds, {} clean rounds). Workloads: `bench/workloads`; what each mode is and how it is \
         measured: `bench/README.md`.\n",
        r.total_s, o.runs, o.rebuilds, o.clean_builds
    );
    if !r.failures.is_empty() || !r.checksum_problems.is_empty() {
        out.push_str("## Problems\n\n");
        for f in r.failures.iter().chain(&r.checksum_problems) {
            let _ = writeln!(out, "- {}", f.lines().next().unwrap_or_default());
        }
        out.push('\n');
    }
    out.push_str("## Targets\n\nBuild-time ratios: median over rounds of (mode's build / plain's build in the same round), (min-max).\n\n");
    targets(&mut out, r);
    let _ = writeln!(
        out,
        "\n## Instructions per operation\n\n`valgrind --tool=callgrind`, whole program, (instructions with 10000+N \
         operations - instructions with 10000) / N, N = {}: deterministic. `alloc`'s C is mimalloc's, \
         unmodified: `cargo cinline` captures it (compiled through cinline-cc, its allocation paths \
         inlined into Rust's), `xlto` compiles it to ThinLTO bitcode.\n",
        o.callgrind_ops
    );
    per_workload(&mut out, r, |x| opt(x.instructions_per_op, 2));
    let _ = writeln!(
        out,
        "\n## Wall time per operation (ns)\n\nMedian of {} runs of {} operations each (timed inside the program, \
         start-up excluded), modes interleaved. Noisy on a shared 2-core machine: trust the instruction counts first.\n",
        o.runs, o.time_ops
    );
    per_workload(&mut out, r, |x| opt(x.ns_per_op, 2));
    out.push_str(
        "\n## Code size\n\n`.text` bytes of each workload's binary (std included), then in parentheses the bytes of its \
         `run_workload` loop function and the out-of-line C helpers (`*__extern` wrappers) left in the binary.\n\n",
    );
    per_workload(&mut out, r, |x| {
        format!(
            "{} ({} B, {} helpers)",
            x.text_bytes, x.run_fn_bytes, x.helper_symbols
        )
    });
    out.push_str(
        "\n## Build times\n\nEach round builds every mode once, in an order rotating from round to round; a ratio is \
         taken within a round. CPU time is user + system of the build's processes, `cargo cinline`'s link server (which \
         ends with cargo) included; \"others\" is how many cores other \
         processes kept busy meanwhile (where well above 0, compare the CPU times).\n",
    );
    for s in &r.series {
        let what = match s.kind {
            Kind::Clean => "clean builds (`rm -rf` of the target directory: every dependency, bindgen included)".to_string(),
            Kind::Rebuild => format!("rebuilds after touching `{}`", s.touched),
            Kind::Fresh => "builds with nothing changed".to_string(),
        };
        let _ = writeln!(
            out,
            "\n### {}, {} profile: {what}, {} rounds\n",
            s.workspace,
            s.profile.name(),
            s.rounds.len()
        );
        series_table(&mut out, s);
        if s.kind == Kind::Fresh {
            fixed_cost(&mut out, s);
        }
        if !s.warnings.is_empty() {
            out.push_str("\ncinline's warnings:\n\n");
            for w in &s.warnings {
                let _ = writeln!(out, "- `{}`", w.trim());
            }
        }
    }
    out.push_str("\n## Modes\n\n| mode | how (release: `--profile release`) |\n|---|---|\n");
    for m in &o.modes {
        let _ = writeln!(out, "| {} | {} |", m.name(), m.how(tools));
    }
    out.push_str("\n## Machine\n\n| | |\n|---|---|\n");
    for (k, v) in &r.machine {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out
}

/// Writes `RESULTS.md` and `results.json` into the output directory.
pub fn write_all(r: &Results, tools: &Tools) -> Result<()> {
    let out = &r.options.out;
    let json = serde_json::json!({
        "total_s": r.total_s,
        "options": {
            "modes": r.options.modes.iter().map(|m| m.name()).collect::<Vec<_>>(),
            "runs": r.options.runs,
            "time_ops": r.options.time_ops,
            "callgrind_ops": r.options.callgrind_ops,
            "rebuilds": r.options.rebuilds,
            "clean_builds": r.options.clean_builds,
        },
        "series": r.series,
        "runtime": r.runtime,
        "failures": r.failures,
        "checksum_problems": r.checksum_problems,
        "machine": r.machine,
    });
    let path = out.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    let path = out.join("RESULTS.md");
    std::fs::write(&path, markdown(r, tools))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
