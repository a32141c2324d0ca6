//! The CPU the crate is compiled for, and the C flags that compile its
//! helpers for the same one: with `RUSTFLAGS="-C target-cpu=corei7"`,
//! headers whose inline functions use SSE4.2 builtins compile, and the
//! helpers carry the features of the Rust code that calls them, so that
//! LLVM may inline them there.
//!
//! Read from what cargo tells build scripts: `CARGO_ENCODED_RUSTFLAGS`
//! (`-C target-cpu=`, `-C target-feature=`; cargo folds `RUSTFLAGS`,
//! `[build] rustflags` and `[target.*] rustflags` into it) and
//! `CARGO_CFG_TARGET_ARCH`.

/// `-C target-cpu` and `-C target-feature` of the crate's rustc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TargetCpu {
    /// `-C target-cpu` (the last one wins, as in rustc).
    pub cpu: Option<String>,
    /// `-C target-feature` items in order (`+sse4.2`, `-avx`).
    pub features: Vec<String>,
}

impl TargetCpu {
    /// Reads rustc's flags, as cargo encodes them (separated by `\x1f`).
    pub fn from_rustflags(encoded: &str) -> TargetCpu {
        let mut target = TargetCpu::default();
        let flags: Vec<&str> = encoded.split('\x1f').filter(|f| !f.is_empty()).collect();
        let mut i = 0;
        while i < flags.len() {
            let option = match flags[i] {
                "-C" | "--codegen" => {
                    i += 1;
                    flags.get(i).copied()
                }
                flag => flag
                    .strip_prefix("-C")
                    .or_else(|| flag.strip_prefix("--codegen=")),
            };
            i += 1;
            let Some((key, value)) = option.and_then(|o| o.split_once('=')) else {
                continue;
            };
            match key {
                "target-cpu" => target.cpu = Some(value.to_string()),
                "target-feature" => target.features.extend(
                    value
                        .split(',')
                        .filter(|f| f.starts_with(['+', '-']) && f.len() > 1)
                        .map(str::to_string),
                ),
                _ => {}
            }
        }
        target
    }

    /// The flags clang (and gcc, for the native library) take for this CPU
    /// on `arch` (`CARGO_CFG_TARGET_ARCH`, or the target triple, whose first
    /// part is the architecture): `-march=CPU` on x86, `-mcpu=CPU`
    /// elsewhere; on x86, `-mFEATURE` / `-mno-FEATURE` for each feature
    /// (other architectures' features have no such flags: left out).
    pub fn c_flags(&self, arch: &str) -> Vec<String> {
        let arch = arch.split('-').next().unwrap_or_default();
        let x86 = arch == "x86"
            || arch == "x86_64"
            || (arch.len() == 4 && arch.starts_with('i') && arch.ends_with("86"));
        let mut flags = Vec::new();
        if let Some(cpu) = &self.cpu {
            flags.push(match x86 {
                true => format!("-march={cpu}"),
                false => format!("-mcpu={cpu}"),
            });
        }
        if x86 {
            for feature in &self.features {
                let (on, name) = feature.split_at(1);
                let Some(name) = x86_flag_name(name) else {
                    continue;
                };
                flags.push(match on {
                    "+" => format!("-m{name}"),
                    _ => format!("-mno-{name}"),
                });
            }
        }
        flags
    }
}

/// The `-m` flag name of a Rust x86 target feature, where the two differ;
/// `None` for a feature that is not the CPU's (`crt-static`).
fn x86_flag_name(feature: &str) -> Option<&str> {
    Some(match feature {
        "crt-static" => return None,
        "bmi1" => "bmi",
        "cmpxchg16b" => "cx16",
        "lahfsahf" => "sahf",
        "pclmulqdq" => "pclmul",
        "rdrand" => "rdrnd",
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_features_are_read_from_cargos_encoded_flags() {
        let t = TargetCpu::from_rustflags(
            "-C\x1ftarget-cpu=haswell\x1f-Copt-level=3\x1f-Ctarget-cpu=corei7\x1f\
             --codegen=target-feature=+avx2,-sse4.1\x1f-C\x1ftarget-feature=+bmi1,+crt-static",
        );
        assert_eq!(t.cpu.as_deref(), Some("corei7"));
        assert_eq!(t.features, ["+avx2", "-sse4.1", "+bmi1", "+crt-static"]);
        assert_eq!(
            t.c_flags("x86_64"),
            ["-march=corei7", "-mavx2", "-mno-sse4.1", "-mbmi"]
        );
        assert_eq!(t.c_flags("aarch64"), ["-mcpu=corei7"]);
        assert_eq!(t.c_flags("i686-unknown-linux-gnu")[0], "-march=corei7");
        assert_eq!(TargetCpu::from_rustflags(""), TargetCpu::default());
        assert!(TargetCpu::from_rustflags("-C\x1fopt-level=2")
            .c_flags("x86_64")
            .is_empty());
    }
}
