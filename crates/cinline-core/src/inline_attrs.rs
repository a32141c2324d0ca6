//! Function attributes that stop LLVM from inlining a helper into its Rust
//! caller, and their reconciliation where that is safe.
//!
//! LLVM refuses to inline a callee whose attributes are not compatible with
//! the caller's. The Linux kernel hit three such false positives when it
//! merged clang-built helpers into rustc-built crates:
//!
//! * target features: the helper lists features (`+cmov,+cx8,+fxsr`) that the
//!   caller's feature set does not name, although every CPU of the
//!   architecture has them;
//! * `-fno-delete-null-pointer-checks`: the helper has
//!   `null-pointer-is-valid`, the caller does not;
//! * `-fno-builtin-wcslen`: the helper has `no-builtin-wcslen`, the caller
//!   does not.
//!
//! Reconciliation only ever makes code more conservative or states what the
//! target already guarantees: it adds `null-pointer-is-valid` and
//! `no-builtin-*` to the *callers* (they then also keep null checks, and do
//! not turn loops into `wcslen`), and copies the caller's CPU and features
//! to a helper only when every feature the helper asks for is part of the
//! architecture's baseline and not disabled by the caller. A helper that
//! really needs more than the target has (`-march=x86-64-v2` helpers in an
//! `x86-64` crate) is reported, never "fixed".

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use cinline_llvm::{Function, Module};

/// One reason a helper may not be inlined into one caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// The helper function.
    pub helper: String,
    /// The Rust function calling it (empty when no caller is known).
    pub caller: String,
    /// What differs.
    pub kind: MismatchKind,
    /// Whether cinline reconciled it.
    pub reconciled: bool,
}

/// What differs between a helper and its caller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MismatchKind {
    /// The helper is `noinline` (with `optnone`: compiled at `-O0`).
    HelperNoInline {
        /// The helper is also `optnone`.
        optnone: bool,
    },
    /// The helper has `null-pointer-is-valid` (`-fno-delete-null-pointer-checks`).
    NullPointerIsValid,
    /// The helper has `no-builtin-*` attributes the caller lacks.
    NoBuiltins {
        /// The attributes, such as `no-builtin-wcslen`.
        attributes: Vec<String>,
    },
    /// The helper enables target features the caller does not.
    TargetFeatures {
        /// The features, such as `+cmov`.
        features: Vec<String>,
        /// All of them are in the architecture's baseline (reconcilable).
        baseline: bool,
    },
}

impl fmt::Display for MismatchKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MismatchKind::HelperNoInline { optnone: true } => {
                write!(f, "the helper is `optnone noinline`: it was compiled at -O0; compile it with -O1 or more")
            }
            MismatchKind::HelperNoInline { optnone: false } => write!(f, "the helper is `noinline`"),
            MismatchKind::NullPointerIsValid => write!(
                f,
                "attribute mismatch: the helper has `null-pointer-is-valid` (-fno-delete-null-pointer-checks), the caller does not"
            ),
            MismatchKind::NoBuiltins { attributes } => write!(
                f,
                "attribute mismatch: the helper has {} (-fno-builtin-*), the caller does not",
                attributes.join(", ")
            ),
            MismatchKind::TargetFeatures { features, baseline: true } => write!(
                f,
                "target-feature mismatch: the helper lists {} which the caller does not, though every CPU of the architecture has them",
                features.join(",")
            ),
            MismatchKind::TargetFeatures { features, baseline: false } => write!(
                f,
                "target-feature mismatch: the helper needs {} which the crate's target lacks; compile the helper for the crate's CPU",
                features.join(",")
            ),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.helper)?;
        if !self.caller.is_empty() {
            write!(f, " in {}", self.caller)?;
        }
        write!(f, ": {}", self.kind)?;
        if self.reconciled {
            write!(f, " (reconciled)")?;
        }
        Ok(())
    }
}

impl MismatchKind {
    /// Whether reconciliation may resolve this mismatch.
    pub fn reconcilable(&self) -> bool {
        match self {
            MismatchKind::HelperNoInline { .. } => false,
            MismatchKind::NullPointerIsValid | MismatchKind::NoBuiltins { .. } => true,
            MismatchKind::TargetFeatures { baseline, .. } => *baseline,
        }
    }
}

/// Target features every CPU of an architecture has (LLVM's names). A
/// helper listing only these needs nothing the target lacks.
fn baseline_features(arch: &str) -> &'static [&'static str] {
    match arch {
        "x86_64" => &["64bit", "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "x87"],
        _ => &[],
    }
}

/// The enabled (`+x`) and disabled (`-x`) features of a function.
fn features(f: &Function<'_>) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut on = BTreeSet::new();
    let mut off = BTreeSet::new();
    for feature in f
        .string_attribute("target-features")
        .unwrap_or_default()
        .split(',')
    {
        if let Some(name) = feature.strip_prefix('+') {
            on.insert(name.to_string());
        } else if let Some(name) = feature.strip_prefix('-') {
            off.insert(name.to_string());
        }
    }
    (on, off)
}

fn no_builtins(f: &Function<'_>) -> BTreeSet<String> {
    f.string_attributes()
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| key.starts_with("no-builtin"))
        .collect()
}

fn null_pointer_is_valid(f: &Function<'_>) -> bool {
    f.string_attribute("null-pointer-is-valid").as_deref() == Some("true")
        || f.has_enum_attribute("null_pointer_is_valid")
}

/// The reasons `helper` may not inline into `caller` (`None`: facts about
/// the helper alone, compared with the architecture's baseline).
pub fn mismatches(
    helper: &Function<'_>,
    caller: Option<&Function<'_>>,
    arch: &str,
) -> Vec<MismatchKind> {
    let mut out = Vec::new();
    if helper.has_enum_attribute("noinline") {
        out.push(MismatchKind::HelperNoInline {
            optnone: helper.has_enum_attribute("optnone"),
        });
    }
    if null_pointer_is_valid(helper) && !caller.is_some_and(null_pointer_is_valid) {
        out.push(MismatchKind::NullPointerIsValid);
    }
    let caller_builtins = caller.map(no_builtins).unwrap_or_default();
    let extra: Vec<String> = no_builtins(helper)
        .difference(&caller_builtins)
        .cloned()
        .collect();
    if !extra.is_empty() {
        out.push(MismatchKind::NoBuiltins { attributes: extra });
    }
    let (helper_on, _) = features(helper);
    let (caller_on, caller_off) = caller.map(features).unwrap_or_default();
    let baseline = baseline_features(arch);
    let missing: Vec<&String> = helper_on
        .iter()
        .filter(|f| {
            !caller_on.contains(*f) && (caller.is_some() || !baseline.contains(&f.as_str()))
        })
        .collect();
    if !missing.is_empty() {
        let same_cpu = caller.is_some_and(|c| {
            c.string_attribute("target-cpu") == helper.string_attribute("target-cpu")
        });
        let in_baseline = missing
            .iter()
            .all(|f| baseline.contains(&f.as_str()) && !caller_off.contains(*f));
        // With the same CPU and only baseline features, LLVM's own check
        // (feature bits of CPU + features) passes: no mismatch to report.
        if !(same_cpu && in_baseline) {
            out.push(MismatchKind::TargetFeatures {
                features: missing.iter().map(|f| format!("+{f}")).collect(),
                baseline: in_baseline,
            });
        }
    }
    out
}

/// What [`check`] found and did.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every mismatch, marked `reconciled` where it was resolved.
    pub mismatches: Vec<Mismatch>,
    /// Whether any module was changed.
    pub modified: bool,
}

/// Checks every call from `krate` to a function defined in `helpers`, and
/// with `reconcile` resolves what is safe to resolve, changing the callers
/// (in `krate`) and the helpers (in `helpers`). Call it before linking: the
/// crate declares the helpers it calls, the helper modules define them.
///
/// A helper left with an unresolved mismatch loses `alwaysinline` (the
/// kernel's `__always_inline`), if it had it: LLVM's always-inliner ignores
/// attribute compatibility, and would inline it anyway while dropping what
/// the attribute stands for (`no-builtins`, target features).
pub fn check(krate: &Module<'_>, helpers: &[&Module<'_>], arch: &str, reconcile: bool) -> Checked {
    let declared: HashMap<String, Function<'_>> = krate
        .functions()
        .into_iter()
        .filter(Function::is_declaration)
        .map(|f| (f.name(), f))
        .collect();
    let mut out = Vec::new();
    let mut modified = false;
    for helper in helpers.iter().flat_map(|m| m.functions()) {
        if helper.is_declaration() {
            continue;
        }
        let Some(declaration) = declared.get(&helper.name()) else {
            continue;
        };
        let callers = declaration.callers();
        let mut pending_features = false;
        for caller in &callers {
            for kind in mismatches(&helper, Some(caller), arch) {
                let reconciled = reconcile && kind.reconcilable();
                if reconciled {
                    match &kind {
                        MismatchKind::NullPointerIsValid => {
                            caller.set_string_attribute("null-pointer-is-valid", "true")
                        }
                        MismatchKind::NoBuiltins { attributes } => {
                            for attribute in attributes {
                                caller.set_string_attribute(attribute, "");
                            }
                        }
                        MismatchKind::TargetFeatures { .. } => pending_features = true,
                        MismatchKind::HelperNoInline { .. } => {}
                    }
                }
                out.push(Mismatch {
                    helper: helper.name(),
                    caller: caller.name(),
                    kind,
                    reconciled,
                });
            }
        }
        if pending_features && !adopt_smallest_target(&helper, &callers) {
            for m in out.iter_mut().filter(|m| m.helper == helper.name()) {
                if matches!(m.kind, MismatchKind::TargetFeatures { .. }) {
                    m.reconciled = false;
                }
            }
        }
        let name = helper.name();
        let blocked = out.iter().any(|m| m.helper == name && !m.reconciled);
        if blocked && helper.has_enum_attribute("alwaysinline") {
            helper.remove_enum_attribute("alwaysinline");
            modified = true;
        }
    }
    modified |= out.iter().any(|m| m.reconciled);
    Checked {
        mismatches: out,
        modified,
    }
}

/// Gives `helper` the CPU and features of the caller whose enabled features
/// are a subset of every other caller's, so the helper fits all of them.
/// Returns false if the callers have no such common floor.
fn adopt_smallest_target(helper: &Function<'_>, callers: &[Function<'_>]) -> bool {
    let floor = callers.iter().find(|candidate| {
        let (on, _) = features(candidate);
        callers.iter().all(|other| on.is_subset(&features(other).0))
    });
    let Some(floor) = floor else {
        return false;
    };
    for key in ["target-cpu", "target-features"] {
        match floor.string_attribute(key) {
            Some(value) => helper.set_string_attribute(key, &value),
            None => helper.remove_string_attribute(key),
        }
    }
    true
}
