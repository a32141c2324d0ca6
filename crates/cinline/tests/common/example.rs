//! An example workspace of `examples/` built for real, plain and with
//! `cargo cinline`, and the machine code of its hot function read back.

use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget};

use super::{cargo_cinline, command, copy_workspace, symbols_where, timed, Scratch};

/// A workspace (`examples/NAME`, a fixture) built with `cargo build
/// --release` and `cargo cinline build --release` (into `target/cinline`),
/// and `cargo cinline report`.
pub struct Example {
    _dir: Scratch,
    /// The copied workspace.
    pub ws: PathBuf,
    /// What `cargo cinline report --release` printed.
    pub report: String,
    /// What `cargo cinline build --release` printed on stderr.
    pub stderr: String,
    program: String,
}

impl Example {
    /// Builds the workspace `path` (relative to the repository root), whose
    /// program is `program`. cinline must not warn (no fallback, nothing
    /// left for any reason).
    pub fn build(path: &str, program: &str) -> Example {
        let example = Example::build_with(path, program, &[]);
        assert!(
            !example.stderr.contains("warning: cinline"),
            "cinline fell back:\n{}",
            example.stderr
        );
        example
    }

    /// Like [`Example::build`], with `env` set for `cargo cinline`, and
    /// whatever cinline says (in [`Example::stderr`]).
    pub fn build_with(path: &str, program: &str, env: &[(&str, &str)]) -> Example {
        let dir = Scratch::new();
        let ws = dir.path().join(Path::new(path).file_name().unwrap());
        copy_workspace(path, &ws);
        let cargo = env!("CARGO");
        timed(
            &mut command(cargo, &ws, &["build", "--release"]),
            "cargo build --release",
        );
        // `cargo cinline` is the `cargo-cinline` executable beside `cinline`.
        let subcommand = cargo_cinline();
        let inlined = timed(
            command(&subcommand, &ws, &["cinline", "build", "--release"])
                .env("CARGO", cargo)
                .envs(env.iter().copied()),
            "cargo cinline build --release",
        );
        let report = timed(
            command(&subcommand, &ws, &["cinline", "report", "--release"]).env("CARGO", cargo),
            "cargo cinline report --release",
        );
        Example {
            _dir: dir,
            ws,
            report: String::from_utf8_lossy(&report.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&inlined.stderr).into_owned(),
            program: program.to_string(),
        }
    }

    /// The program built by cargo.
    pub fn plain(&self) -> PathBuf {
        self.ws.join("target/release").join(&self.program)
    }

    /// The program built by `cargo cinline`.
    pub fn inlined(&self) -> PathBuf {
        self.ws.join("target/cinline/release").join(&self.program)
    }

    /// Both programs succeed and print what the example's file `expected`
    /// (relative to its workspace) holds.
    pub fn assert_both_print(&self, expected: &str) {
        let expected = std::fs::read_to_string(self.ws.join(expected)).unwrap();
        for program in [self.plain(), self.inlined()] {
            let out = Command::new(&program).output().unwrap();
            assert!(out.status.success(), "{}: {out:?}", program.display());
            assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
        }
    }

    /// The plain program keeps each helper of `hot` (the linker drops what
    /// nothing calls), the inlined one none of those `is_helper` accepts,
    /// and the report counts no call left.
    pub fn assert_no_helper_left(&self, is_helper: fn(&str) -> bool, hot: &[&str]) {
        let plain = symbols_where(&self.plain(), is_helper);
        for helper in hot {
            assert!(plain.contains(*helper), "{helper} in {plain:?}");
        }
        let inlined = symbols_where(&self.inlined(), is_helper);
        assert!(inlined.is_empty(), "helpers left: {inlined:?}");
        let total = self
            .report
            .lines()
            .find(|l| l.starts_with("total:"))
            .unwrap_or_else(|| panic!("{}", self.report));
        assert!(total.ends_with(", 0 left"), "{}", self.report);
    }

    /// `hot_function` calls each helper of `hot` in the plain program and
    /// none that `is_helper` accepts in the inlined one (x86-64 only).
    pub fn assert_hot_loop_inlined(
        &self,
        hot_function: &str,
        is_helper: fn(&str) -> bool,
        hot: &[&str],
    ) {
        let Some(plain) = hot_function_calls(&self.plain(), hot_function) else {
            return;
        };
        let inlined = hot_function_calls(&self.inlined(), hot_function).unwrap();
        eprintln!("{}: the plain {hot_function} calls {plain:?}", self.program);
        eprintln!(
            "{}: the inlined {hot_function} calls {inlined:?}",
            self.program
        );
        for helper in hot {
            assert!(plain.iter().any(|c| c == helper), "{helper} in {plain:?}");
        }
        assert!(
            inlined
                .iter()
                .all(|c| !is_helper(c) && !c.starts_with("<unresolved")),
            "the inlined hot loop calls: {inlined:?}"
        );
    }
}

/// The functions `hot_function` of `exe` calls (or jumps to: tail calls),
/// by name, as disassembled by `llvm-objdump-22`: direct calls by the name objdump gives, calls
/// through the GOT (directly, or through a register loaded from it) by
/// the symbol the GOT slot's dynamic relocation names; `None` without
/// llvm-objdump-22 or on another architecture than x86-64.
pub fn hot_function_calls(exe: &Path, hot_function: &str) -> Option<Vec<String>> {
    if !cfg!(target_arch = "x86_64") {
        return None;
    }
    let hot: Vec<String> = symbols_where(exe, |n| n.contains(hot_function))
        .into_iter()
        .collect();
    let data = std::fs::read(exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    assert_eq!(hot.len(), 1, "{hot_function} in {}: {hot:?}", exe.display());
    let out = Command::new("llvm-objdump-22")
        .arg("-d")
        .arg("--no-show-raw-insn")
        .arg(format!("--disassemble-symbols={}", hot[0]))
        .arg(exe)
        .output()
        .expect("runs llvm-objdump-22 (package llvm-22; scripts/setup.sh installs it)");
    assert!(out.status.success(), "{out:?}");
    let listing = String::from_utf8_lossy(&out.stdout);

    // GOT slot address -> the function it holds.
    let symbols = file.symbol_map();
    let dynsyms = file.dynamic_symbol_table();
    let mut got = std::collections::HashMap::new();
    for (slot, reloc) in file.dynamic_relocations().into_iter().flatten() {
        let name = match reloc.target() {
            RelocationTarget::Absolute => symbols
                .get(reloc.addend() as u64)
                .map(|s| s.name().to_string()),
            RelocationTarget::Symbol(index) => dynsyms
                .as_ref()
                .and_then(|t| object::ObjectSymbolTable::symbol_by_index(t, index).ok())
                .and_then(|s| s.name().ok().map(str::to_string)),
            _ => None,
        };
        if let Some(name) = name {
            got.insert(slot, name);
        }
    }
    // Without a dynamic relocation, the slot holds the address itself.
    let resolve = |slot: u64| {
        got.get(&slot).cloned().or_else(|| {
            let section = file
                .sections()
                .find(|s| (s.address()..s.address() + s.size()).contains(&slot))?;
            let bytes = section.data().ok()?;
            let at = (slot - section.address()) as usize;
            let address = u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?);
            symbols.get(address).map(|s| s.name().to_string())
        })
    };
    let slot_of = |line: &str| {
        let hex = line.rsplit_once("# 0x")?.1.split_whitespace().next()?;
        u64::from_str_radix(hex, 16).ok()
    };
    let mut registers = std::collections::HashMap::new();
    let mut calls = Vec::new();
    for line in listing.lines() {
        // "   17773:      \tcallq\t*0x4929f(%rip)  # 0x60a18 <...>"
        let Some((address, insn)) = line.split_once(':') else {
            continue;
        };
        let address = address.trim();
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        let insn = insn.trim();
        let mnemonic = insn.split_whitespace().find(|w| *w != "addr32");
        if mnemonic.is_some_and(|m| m.starts_with("mov")) && insn.contains("(%rip)") {
            // mov 0x...(%rip), %reg  # 0xSLOT
            if let (Some(slot), Some(reg)) = (
                slot_of(insn),
                insn.split_once("),")
                    .map(|(_, r)| r.split_whitespace().next().unwrap_or("")),
            ) {
                registers.insert(reg.to_string(), slot);
            }
            continue;
        }
        // A jump out of the function is a tail call: to a GOT slot or to
        // another function by name (jumps through registers are jump
        // tables, inside the function).
        let tail_call = mnemonic.is_some_and(|m| m.starts_with("jmp"))
            && ((insn.contains("*0x") && insn.contains("(%rip)"))
                || insn
                    .split_once('<')
                    .is_some_and(|(_, name)| !name.starts_with(hot[0].as_str())));
        if !mnemonic.is_some_and(|m| m.starts_with("call")) && !tail_call {
            continue;
        }
        let target = if insn.contains("*0x") && insn.contains("(%rip)") {
            // call *0x...(%rip)  # 0xSLOT <...>
            slot_of(insn).and_then(&resolve)
        } else if let Some(reg) = insn.split_once('*').map(|(_, r)| r.trim()) {
            // call *%reg, %reg loaded from a GOT slot before
            registers.get(reg).copied().and_then(&resolve)
        } else {
            // call 0x... <name> or <name@plt>
            insn.split_once('<').map(|(_, name)| {
                let name = name.trim_end_matches('>');
                name.split(['@', '+']).next().unwrap().to_string()
            })
        }
        .unwrap_or_else(|| format!("<unresolved: {insn}>"));
        calls.push(target);
    }
    Some(calls)
}
