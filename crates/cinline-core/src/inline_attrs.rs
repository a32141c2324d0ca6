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
//! Whether a helper's target features fit its caller is LLVM's own decision
//! ([`TargetCheck`]): the features a CPU implies count (a crate built with
//! `-C target-cpu=haswell` has every feature of a `-march=corei7` helper,
//! though it lists none of them), which comparing feature strings cannot see.
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
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use cinline_llvm::{
    CodeModel, Context, Function, Module, OptLevel, RelocModel, TargetMachine, TargetSpec,
};

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
    /// The helper's CPU implies features the caller lacks, beyond those
    /// the helper lists (LLVM's judgement: `-march=haswell` helpers in a
    /// `znver5` crate).
    TargetCpu {
        /// The helper's `target-cpu`.
        helper_cpu: String,
        /// The caller's `target-cpu`.
        caller_cpu: String,
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
            MismatchKind::TargetCpu { helper_cpu, caller_cpu } => write!(
                f,
                "target-cpu mismatch: the helper is built for CPU {helper_cpu}, which has features the caller's CPU {caller_cpu} lacks (LLVM's judgement); compile the helper for the crate's CPU"
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
            MismatchKind::TargetCpu { .. } => false,
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

/// A function's `target-cpu` and `target-features`, as LLVM reads them
/// (`None`: the attribute is absent and the target machine's default holds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TargetAttrs {
    cpu: Option<String>,
    features: Option<String>,
}

impl TargetAttrs {
    fn of(f: &Function<'_>) -> TargetAttrs {
        TargetAttrs {
            cpu: f.string_attribute("target-cpu"),
            features: f.string_attribute("target-features"),
        }
    }

    /// These attributes with `feature` (`+avx2`) enabled on top.
    fn plus(&self, feature: &str) -> TargetAttrs {
        let features = match self.features.as_deref() {
            None | Some("") => feature.to_string(),
            Some(list) => format!("{list},{feature}"),
        };
        TargetAttrs {
            cpu: self.cpu.clone(),
            features: Some(features),
        }
    }

    /// The attribute group of a probe function, in LLVM IR syntax.
    fn ir(&self) -> String {
        let mut out = String::new();
        for (key, value) in [
            ("target-cpu", &self.cpu),
            ("target-features", &self.features),
        ] {
            if let Some(value) = value {
                let _ = write!(out, " \"{key}\"=\"{}\"", ir_escape(value));
            }
        }
        out
    }
}

/// `text` as the inside of an LLVM IR string constant.
fn ir_escape(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte == b'"' || byte == b'\\' || !(0x20..0x7f).contains(&byte) {
            let _ = write!(out, "\\{byte:02X}");
        } else {
            out.push(byte as char);
        }
    }
    out
}

/// What a probe depends on: the target, the target machine's defaults, the
/// caller's and the callee's target attributes.
type ProbeKey = (String, String, String, TargetAttrs, TargetAttrs);

/// The answers [`remembered`] gave in this process, by question: the
/// wrapper links many codegen units with the same few attribute pairs, and
/// the build's link server reads the same helpers for every part.
fn answers() -> &'static Mutex<HashMap<String, String>> {
    static ANSWERS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    ANSWERS.get_or_init(Default::default)
}

/// The question a probe answers, in full.
fn probe_question(key: &ProbeKey) -> String {
    format!("inline probe\n{key:?}\n")
}

/// The directory [`keep_probes_in`] named.
static PROBE_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Keeps LLVM's answers ([`remembered`]: inline-compatibility probes,
/// helper files verified) in `dir`, for every process given the same
/// directory, from now on. A cargo build asks the same question once per
/// process otherwise: each binary's linker wrapper, each library's rustc
/// wrapper (a probe costs 1-2 ms, 7 ms on a loaded machine). Only the
/// first call counts.
pub fn keep_probes_in(dir: PathBuf) {
    let _ = PROBE_DIR.set(dir);
}

/// Answers kept on disk: one file per question, holding the whole question
/// and then the answer, so a file of another question (two questions whose
/// names collide, an older cinline, another libLLVM) is only a miss.
mod kept {
    use std::hash::{Hash as _, Hasher as _};
    use std::path::{Path, PathBuf};

    /// What decides every kept answer besides its question: this cinline
    /// and the libLLVM loaded.
    fn preamble() -> String {
        let llvm = cinline_llvm::Llvm::loaded()
            .map(|l| format!("{} {}", l.path().display(), l.version()))
            .unwrap_or_default();
        format!("cinline {}\nllvm {llvm}\n", env!("CARGO_PKG_VERSION"))
    }

    /// The file for `question` in `dir`, named by its hash.
    pub(super) fn file(dir: &Path, question: &str) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        question.hash(&mut hasher);
        dir.join(format!("{:016x}", hasher.finish()))
    }

    /// The answer kept in `dir` for `question`, if any.
    pub(super) fn answer(dir: &Path, question: &str) -> Option<String> {
        let question = preamble() + question;
        let text = std::fs::read_to_string(file(dir, &question)).ok()?;
        text.strip_prefix(question.as_str()).map(str::to_string)
    }

    /// Keeps `answer` to `question` in `dir`; a failure only means asking
    /// again.
    pub(super) fn keep(dir: &Path, question: &str, answer: &str) {
        let question = preamble() + question;
        let _ = std::fs::create_dir_all(dir);
        let _ = crate::write_atomic(
            &file(dir, &question),
            format!("{question}{answer}").as_bytes(),
        );
    }
}

/// The answer to `question` (the whole of what decides it, but for this
/// cinline and libLLVM): the one this process gave before, else the one a
/// process of this build kept (the directory [`keep_probes_in`] named),
/// else what `ask` answers, remembered and kept for the others. A failure
/// to ask is neither.
pub(crate) fn remembered<E>(
    question: &str,
    ask: impl FnOnce() -> Result<String, E>,
) -> Result<String, E> {
    if let Some(known) = answers()
        .lock()
        .ok()
        .and_then(|known| known.get(question).cloned())
    {
        return Ok(known);
    }
    let dir = PROBE_DIR.get();
    let answer = match dir.and_then(|dir| kept::answer(dir, question)) {
        Some(answer) => answer,
        None => {
            let answer = ask()?;
            if let Some(dir) = dir {
                kept::keep(dir, question, &answer);
            }
            answer
        }
    };
    if let Ok(mut known) = answers().lock() {
        known.insert(question.to_string(), answer.clone());
    }
    Ok(answer)
}

/// The crate's target, and LLVM's answer to "may a function with these
/// target attributes be inlined into one with those?".
///
/// LLVM decides with `TargetTransformInfo::areInlineCompatible`, which
/// compares the feature bits of the two functions' subtargets: the features
/// their CPUs imply plus those they list. The C API does not expose it, so
/// each question is a tiny module, parsed in the crate's context, in which a
/// function with the caller's attributes calls an empty one with the
/// callee's; LLVM's inliner runs on it (with a target machine for the
/// crate's triple), and the call is gone exactly when the attributes are
/// compatible. Not `alwaysinline`: LLVM's always-inliner does not ask.
pub struct TargetCheck<'ctx> {
    ctx: &'ctx Context,
    triple: String,
    data_layout: String,
    /// The architecture part of the triple (`x86_64`).
    arch: String,
    /// The target machine's CPU and features: what functions without
    /// target attributes get.
    cpu: String,
    features: String,
    machine: OnceLock<Option<TargetMachine>>,
}

impl<'ctx> TargetCheck<'ctx> {
    /// Checks for `module`'s target (triple and data layout), with `cpu`
    /// and `features` for functions that name none.
    pub fn new(ctx: &'ctx Context, module: &Module<'_>, cpu: &str, features: &str) -> Self {
        let triple = module.triple();
        TargetCheck {
            ctx,
            arch: crate::link::arch_of(&triple).to_string(),
            triple,
            data_layout: module.data_layout(),
            cpu: cpu.to_string(),
            features: features.to_string(),
            machine: OnceLock::new(),
        }
    }

    /// The architecture (`x86_64`).
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// Whether LLVM would inline a function with `callee`'s target
    /// attributes into one with `caller`'s; `None` if it cannot be asked
    /// (no code generator for the triple).
    fn inline_compatible(&self, caller: &TargetAttrs, callee: &TargetAttrs) -> Option<bool> {
        if caller == callee {
            return Some(true);
        }
        let key = (
            format!("{}\n{}", self.triple, self.data_layout),
            self.cpu.clone(),
            self.features.clone(),
            caller.clone(),
            callee.clone(),
        );
        let asked = remembered(&probe_question(&key), || {
            self.probe(caller, callee).map(|a| a.to_string()).ok_or(())
        });
        match asked.ok()?.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => self.probe(caller, callee),
        }
    }

    fn probe(&self, caller: &TargetAttrs, callee: &TargetAttrs) -> Option<bool> {
        let machine = self
            .machine
            .get_or_init(|| {
                self.ctx
                    .target_machine(&TargetSpec {
                        triple: &self.triple,
                        cpu: &self.cpu,
                        features: &self.features,
                        opt: OptLevel::Default,
                        reloc: RelocModel::Default,
                        code_model: CodeModel::Default,
                    })
                    .ok()
            })
            .as_ref()?;
        let ir = format!(
            "target datalayout = \"{}\"\n\
             target triple = \"{}\"\n\
             define void @cinline_probe_callee() #0 {{\n  ret void\n}}\n\
             define void @cinline_probe_caller() #1 {{\n  call void @cinline_probe_callee()\n  ret void\n}}\n\
             attributes #0 = {{{} }}\n\
             attributes #1 = {{{} }}\n",
            ir_escape(&self.data_layout),
            ir_escape(&self.triple),
            callee.ir(),
            caller.ir(),
        );
        let mut module = self.ctx.parse_ir(&ir, "cinline-inline-probe").ok()?;
        module.run_passes("cgscc(inline)", machine).ok()?;
        let callee = module.function("cinline_probe_callee")?;
        Some(callee.call_count() == 0)
    }

    /// The features of `helper_on` (enabled by the helper) that a function
    /// with `caller`'s attributes lacks, in LLVM's judgement: those it
    /// neither lists nor has through its CPU. `None` if LLVM cannot be asked.
    fn lacking(&self, caller: &TargetAttrs, helper_on: &BTreeSet<String>) -> Option<Vec<String>> {
        let mut lacking = Vec::new();
        for feature in helper_on {
            let plus = format!("+{feature}");
            if !self.inline_compatible(caller, &caller.plus(&plus))? {
                lacking.push(feature.clone());
            }
        }
        Some(lacking)
    }
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
    target: &TargetCheck<'_>,
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
    out.extend(feature_mismatch(helper, caller, target));
    out
}

/// The target-feature mismatch of `helper` in `caller`, if any. With a
/// caller, LLVM decides ([`TargetCheck`]); without one, or where LLVM cannot
/// be asked, the helper's features are compared as text with the caller's
/// list and the architecture's baseline.
fn feature_mismatch(
    helper: &Function<'_>,
    caller: Option<&Function<'_>>,
    target: &TargetCheck<'_>,
) -> Option<MismatchKind> {
    let (helper_on, _) = features(helper);
    let (caller_on, caller_off) = caller.map(features).unwrap_or_default();
    let baseline = baseline_features(target.arch());
    let in_baseline = |missing: &[String]| {
        missing
            .iter()
            .all(|f| baseline.contains(&f.as_str()) && !caller_off.contains(f))
    };
    let mismatch = |missing: Vec<String>| {
        let baseline = in_baseline(&missing);
        MismatchKind::TargetFeatures {
            features: missing.iter().map(|f| format!("+{f}")).collect(),
            baseline,
        }
    };
    if let Some(caller) = caller {
        let (caller_attrs, helper_attrs) = (TargetAttrs::of(caller), TargetAttrs::of(helper));
        match target.inline_compatible(&caller_attrs, &helper_attrs) {
            Some(true) => return None,
            Some(false) => {
                let candidates: BTreeSet<String> =
                    helper_on.difference(&caller_on).cloned().collect();
                let missing = target
                    .lacking(&caller_attrs, &candidates)
                    .unwrap_or_else(|| candidates.iter().cloned().collect());
                if missing.is_empty() {
                    // Every feature the helper lists, the caller has: what
                    // it lacks comes with the helper's CPU.
                    return Some(MismatchKind::TargetCpu {
                        helper_cpu: helper_attrs.cpu.unwrap_or_default(),
                        caller_cpu: caller_attrs.cpu.unwrap_or_default(),
                    });
                }
                return Some(mismatch(missing));
            }
            None => {}
        }
    }
    let missing: Vec<String> = helper_on
        .iter()
        .filter(|f| {
            !caller_on.contains(*f) && (caller.is_some() || !baseline.contains(&f.as_str()))
        })
        .cloned()
        .collect();
    if missing.is_empty() {
        return None;
    }
    let same_cpu = caller
        .is_some_and(|c| c.string_attribute("target-cpu") == helper.string_attribute("target-cpu"));
    // With the same CPU and only baseline features, LLVM's own check
    // (feature bits of CPU + features) passes: no mismatch to report.
    if same_cpu && in_baseline(&missing) {
        return None;
    }
    Some(mismatch(missing))
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
pub fn check(
    target: &TargetCheck<'_>,
    krate: &Module<'_>,
    helpers: &[&Module<'_>],
    reconcile: bool,
) -> Checked {
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
            for kind in mismatches(&helper, Some(caller), target) {
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
                        MismatchKind::HelperNoInline { .. } | MismatchKind::TargetCpu { .. } => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_attributes_are_valid_ir_strings() {
        assert_eq!(ir_escape("+avx2,-sse4.1"), "+avx2,-sse4.1");
        assert_eq!(ir_escape("a\"b\\c\n"), "a\\22b\\5Cc\\0A");
        let attrs = TargetAttrs {
            cpu: Some("haswell".into()),
            features: None,
        };
        assert_eq!(attrs.ir(), " \"target-cpu\"=\"haswell\"");
        assert_eq!(
            attrs.plus("+avx").features.as_deref(),
            Some("+avx"),
            "no leading comma"
        );
    }

    #[test]
    fn kept_answers_are_found_only_for_their_own_question() {
        let dir = tempfile::tempdir().unwrap();
        let attrs = |cpu: &str| TargetAttrs {
            cpu: Some(cpu.into()),
            features: None,
        };
        let key = |callee: &str| -> ProbeKey {
            let t = ("triple".into(), "x86-64".into(), String::new());
            (t.0, t.1, t.2, attrs("x86-64"), attrs(callee))
        };
        let get = |callee: &str| kept::answer(dir.path(), &probe_question(&key(callee)));
        let put = |callee: &str, answer: &str| {
            kept::keep(dir.path(), &probe_question(&key(callee)), answer);
        };
        assert_eq!(get("haswell"), None);
        put("haswell", "false");
        put("x86-64-v2", "true");
        assert_eq!(get("haswell").as_deref(), Some("false"));
        assert_eq!(get("x86-64-v2").as_deref(), Some("true"));
        // Another question's file under this one's name (a hash collision,
        // a file of an older cinline): a miss, not its answer.
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 2);
        let (yes, no): (Vec<_>, Vec<_>) = files
            .iter()
            .partition(|p| std::fs::read_to_string(p).unwrap().ends_with("true"));
        std::fs::copy(yes[0], no[0]).unwrap();
        assert_eq!(get("haswell"), None);
    }
}
