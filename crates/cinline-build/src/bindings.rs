//! The bindgen runs: one over the headers, with their `static` functions
//! wrapped in C (`foo__extern`), and two over each kernel-style helpers
//! file, binding `rust_helper_foo` as `foo`.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bindgen::callbacks::{DiscoveredItem, DiscoveredItemId, ItemInfo, ItemKind, ParseCallbacks};

use crate::error::{Error, Kind};

/// The prefix of kernel-style helper functions.
pub(crate) const HELPER_PREFIX: &str = "rust_helper_";

/// The allowlists of the header run, as given to the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allowlists {
    pub functions: Vec<String>,
    pub types: Vec<String>,
    pub vars: Vec<String>,
}

/// A crate's own bindgen configuration ([`crate::Builder::bindgen`]).
#[derive(Clone)]
pub(crate) struct BindgenHook(Arc<dyn Fn(bindgen::Builder) -> bindgen::Builder>);

impl BindgenHook {
    pub fn new(hook: impl Fn(bindgen::Builder) -> bindgen::Builder + 'static) -> BindgenHook {
        BindgenHook(Arc::new(hook))
    }
}

impl std::fmt::Debug for BindgenHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindgenHook(..)")
    }
}

/// The clang arguments of every bindgen run.
#[derive(Debug, Clone)]
pub(crate) struct ClangSetup {
    /// `--target=`, the user's arguments, then clang's include directories.
    pub args: Vec<String>,
    /// Whether those directories are missing, so that bindgen should ask a
    /// clang itself. It asks the first `clang-[0-9]*` on `PATH` (clang-16
    /// before clang-22), whose `<stdatomic.h>` shadows the right one: the
    /// directories of the clang that compiles the helpers are better.
    pub detect_include_paths: bool,
}

impl ClangSetup {
    fn builder(&self) -> bindgen::Builder {
        bindgen::Builder::default()
            .clang_args(&self.args)
            .detect_include_paths(self.detect_include_paths)
            .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
    }
}

/// What the header run produced.
#[derive(Debug)]
pub(crate) struct HeaderBindings {
    /// The Rust bindings.
    pub code: String,
    /// The C file of `foo__extern` wrappers, if any function needed one.
    pub wrappers: Option<PathBuf>,
    /// The Rust names of the functions bound.
    pub functions: BTreeSet<String>,
    /// Functions of the headers left out, with why (a warning was printed).
    pub left_out: Vec<(String, String)>,
    /// The functions bound that are `inline` but not `static`, sorted.
    pub inline_functions: Vec<String>,
}

/// Runs bindgen over `headers` with `static` functions wrapped, after the
/// crate's own `hooks`; the wrappers go to `wrappers_stem` + `.c`. Every allowlist pattern must
/// match something in the output.
pub(crate) fn bind_headers(
    headers: &[PathBuf],
    allow: &Allowlists,
    hooks: &[BindgenHook],
    clang: &ClangSetup,
    wrappers_stem: &Path,
) -> Result<HeaderBindings, Error> {
    let wrappers = wrappers_stem.with_extension("c");
    // bindgen writes the file only when there is something to wrap: a
    // wrapper file from an earlier run must not be taken for this run's.
    match std::fs::remove_file(&wrappers) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Kind::io(&wrappers)(e));
        }
        _ => {}
    }
    // The crate's own configuration first; what cinline needs on top.
    let with_hooks = || hooks.iter().fold(clang.builder(), |b, hook| (hook.0)(b));
    let mut base = with_hooks();
    for header in headers {
        base = base.header(header.to_string_lossy());
    }
    let mut selected = base.clone();
    for pattern in &allow.functions {
        selected = selected.allowlist_function(pattern);
    }
    for pattern in &allow.types {
        selected = selected.allowlist_type(pattern);
    }
    for pattern in &allow.vars {
        selected = selected.allowlist_var(pattern);
    }
    let bindgen_error = |message| Kind::Bindgen {
        inputs: headers.to_vec(),
        message,
    };
    let main = selected
        .clone()
        .wrap_static_fns(true)
        .wrap_static_fns_path(wrappers_stem);
    let mut code = run_bindgen(main.clone()).map_err(bindgen_error)?;
    let bound = Items::of(&code);
    // With `wrap_static_fns`, bindgen skips the functions that are
    // `inline` but not `static` (C99 `inline`, GNU `extern inline`); a run
    // without it names them: those it binds and the main run does not.
    let all =
        Items::of(&run_bindgen(selected.generate_inline_functions(true)).map_err(bindgen_error)?);
    let inline_functions: Vec<String> = all
        .functions
        .difference(&bound.functions)
        .cloned()
        .collect();
    // What the headers offer (either run; the other leaves out `static`
    // functions), before any is left out below.
    let offered = Items {
        functions: &bound.functions | &all.functions,
        types: &bound.types | &all.types,
        vars: &bound.vars | &all.vars,
    };
    for (option, patterns, names) in [
        ("allowlist_function", &allow.functions, &offered.functions),
        ("allowlist_type", &allow.types, &offered.types),
        ("allowlist_var", &allow.vars, &offered.vars),
    ] {
        for pattern in patterns {
            // bindgen anchors each pattern the same way.
            let re = regex::Regex::new(&format!("^({pattern})$")).map_err(|e| Kind::Bindgen {
                inputs: headers.to_vec(),
                message: format!("{option}(\"{pattern}\") is not a regular expression: {e}"),
            })?;
            if !names.iter().any(|n| re.is_match(n)) {
                return Err(Kind::AllowlistUnmatched {
                    option,
                    pattern: pattern.clone(),
                    inputs: headers.to_vec(),
                }
                .into());
            }
        }
    }
    // Functions Rust has no type for are left out rather than bound with
    // another ABI, each with a warning.
    let left_out = without_rust_type(&wrappers);
    if !left_out.is_empty() {
        let mut main = main;
        for (name, why) in &left_out {
            println!("cargo:warning=cinline-build: `{name}` is not bound: {why}");
            main = main.blocklist_function(regex::escape(name));
        }
        code = run_bindgen(main).map_err(bindgen_error)?;
    }
    if !inline_functions.is_empty() {
        // The inline functions, and the types they need that the main run
        // did not bind; everything it bound is left to it.
        let mut extra = base
            .generate_inline_functions(true)
            .allowlist_function(format!("^({})$", escaped_names(&inline_functions)));
        let known: Vec<&String> = bound
            .types
            .iter()
            .chain(&bound.vars)
            .chain(&bound.functions)
            .collect();
        if !known.is_empty() {
            extra = extra.blocklist_item(format!("^({})$", escaped_names(&known)));
        }
        let extra = run_bindgen(extra).map_err(bindgen_error)?;
        code.push_str("\n// `inline` functions of the headers, defined for inlining\n");
        code.push_str(
            extra
                .lines()
                .skip_while(|l| l.starts_with("/*"))
                .collect::<Vec<_>>()
                .join("\n")
                .as_str(),
        );
        code.push('\n');
    }
    let mut functions = offered.functions;
    functions.retain(|f| !left_out.iter().any(|(name, _)| name == f));
    Ok(HeaderBindings {
        code,
        wrappers: wrappers.is_file().then_some(wrappers),
        functions,
        left_out,
        inline_functions,
    })
}

/// `names` as a regular expression alternation, each matched literally.
fn escaped_names(names: &[impl AsRef<str>]) -> String {
    names
        .iter()
        .map(|n| regex::escape(n.as_ref()))
        .collect::<Vec<_>>()
        .join("|")
}

/// The C types of wrapped functions that Rust cannot call with the right
/// ABI, and why: bindgen binds `long double` as `u128` (x86-64 passes the
/// one on the stack as 80 bits, the other in two registers).
const WITHOUT_RUST_TYPE: &[(&str, &str)] = &[(
    "long double",
    "it takes or returns `long double`, which Rust has no type for \
     (bindgen would bind it as `u128`, which is passed otherwise)",
)];

/// The functions of bindgen's wrapper file (`type foo__extern(params) {
/// ... }`, one per line) whose prototype uses a type of
/// [`WITHOUT_RUST_TYPE`], with why.
fn without_rust_type(wrappers: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(wrappers).unwrap_or_default();
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(prototype) = line.split_once('{').map(|(p, _)| p) else {
            continue;
        };
        let Some(name) = prototype
            .split_once("__extern(")
            .map(|(head, _)| head.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')))
            .and_then(|mut words| words.next())
        else {
            continue;
        };
        if let Some((_, why)) = WITHOUT_RUST_TYPE
            .iter()
            .find(|(ty, _)| prototype.contains(ty))
        {
            found.push((name.to_string(), why.to_string()));
        }
    }
    found
}

/// What a helpers file run produced.
#[derive(Debug)]
pub(crate) struct HelperBindings {
    /// `extern "C"` declarations: `#[link_name = "rust_helper_foo"] pub fn foo(...)`.
    pub code: String,
    /// The helper symbols (`rust_helper_foo`), sorted.
    pub helpers: Vec<String>,
}

/// Binds the `rust_helper_*` functions of the helpers file `path` as the
/// kernel does: bindgen reads it with `__BINDGEN__` defined, every type is
/// left to the header bindings (`--blocklist-type '.*'`), and
/// `rust_helper_foo` is called `foo` in Rust.
///
/// bindgen matches allowlists against the *renamed* names, so a first run
/// lists the helpers under their C names and a second binds exactly those.
pub(crate) fn bind_helpers(path: &Path, clang: &ClangSetup) -> Result<HelperBindings, Error> {
    let helper_error = |message: String| -> Error {
        Kind::Helper {
            path: path.to_path_buf(),
            message,
        }
        .into()
    };
    let base = || {
        clang
            .builder()
            .header(path.to_string_lossy())
            .clang_arg("-D__BINDGEN__")
            .blocklist_type(".*")
    };

    let found = FoundFunctions::default();
    run_bindgen(
        base()
            .allowlist_function(format!("{HELPER_PREFIX}.*"))
            .parse_callbacks(Box::new(found.clone())),
    )
    .map_err(&helper_error)?;
    let helpers: BTreeSet<String> = found
        .take()
        .into_iter()
        .filter(|n| n.starts_with(HELPER_PREFIX))
        .collect();
    if helpers.is_empty() {
        return Err(helper_error(format!(
            "defines no `{HELPER_PREFIX}*` function (helpers are non-static functions \
             named {HELPER_PREFIX}<name>; `static` or `inline` ones are not bound)"
        )));
    }

    let rust_names: Vec<&str> = helpers.iter().map(|h| &h[HELPER_PREFIX.len()..]).collect();
    let rename = RenameHelpers {
        helpers: helpers.clone(),
    };
    let code = run_bindgen(
        base()
            .allowlist_function(rust_names.join("|"))
            .parse_callbacks(Box::new(rename)),
    )
    .map_err(&helper_error)?;
    // The header run's output already starts with bindgen's banner.
    let code = code
        .lines()
        .filter(|l| !l.starts_with("/* automatically generated by rust-bindgen"))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(HelperBindings {
        code: plain_link_names(code, &helpers).trim_start().to_string() + "\n",
        helpers: helpers.into_iter().collect(),
    })
}

/// bindgen writes an overridden link name as `"\u{1}rust_helper_foo"`:
/// LLVM then keeps `\01rust_helper_foo` as the declaration's IR name, which
/// is not the name the helper's bitcode defines, so the IR linker would not
/// resolve the call to the helper. The symbol is a plain C name: drop the
/// marker.
fn plain_link_names(code: String, helpers: &BTreeSet<String>) -> String {
    helpers.iter().fold(code, |code, helper| {
        code.replace(&format!("\"\\u{{1}}{helper}\""), &format!("\"{helper}\""))
    })
}

/// Runs bindgen, turning its error, or a panic (libclang not found), into
/// a message.
fn run_bindgen(builder: bindgen::Builder) -> Result<String, String> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| builder.generate())) {
        Ok(Ok(bindings)) => Ok(bindings.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!(
                "bindgen panicked: {what} (is libclang installed? set LIBCLANG_PATH to its directory)"
            ))
        }
    }
}

/// Records the functions bindgen generates.
#[derive(Debug, Clone, Default)]
struct FoundFunctions(Arc<Mutex<Vec<String>>>);

impl FoundFunctions {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl ParseCallbacks for FoundFunctions {
    fn new_item_found(&self, _id: DiscoveredItemId, item: DiscoveredItem) {
        if let DiscoveredItem::Function { final_name } = item {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(final_name);
        }
    }
}

/// Names `rust_helper_foo` `foo` in Rust, linked to `rust_helper_foo`.
#[derive(Debug)]
struct RenameHelpers {
    helpers: BTreeSet<String>,
}

impl ParseCallbacks for RenameHelpers {
    fn generated_name_override(&self, info: ItemInfo<'_>) -> Option<String> {
        if !matches!(info.kind, ItemKind::Function) || !self.helpers.contains(info.name) {
            return None;
        }
        info.name.strip_prefix(HELPER_PREFIX).map(str::to_string)
    }

    /// Called with the overridden name.
    fn generated_link_name_override(&self, info: ItemInfo<'_>) -> Option<String> {
        if !matches!(info.kind, ItemKind::Function) {
            return None;
        }
        let helper = format!("{HELPER_PREFIX}{}", info.name);
        self.helpers.contains(&helper).then_some(helper)
    }
}

/// The names of the items of generated bindings, by kind.
#[derive(Debug, Default)]
pub(crate) struct Items {
    pub functions: BTreeSet<String>,
    pub types: BTreeSet<String>,
    pub vars: BTreeSet<String>,
}

impl Items {
    /// Reads the item names from bindgen's (formatted) output.
    pub(crate) fn of(code: &str) -> Items {
        let re = regex::Regex::new(
            r"(?m)^\s*pub (fn|struct|union|enum|type|const|static mut|static) (?:r#)?([A-Za-z_][A-Za-z0-9_]*)",
        )
        .expect("a valid regex");
        let mut items = Items::default();
        for cap in re.captures_iter(code) {
            let set = match &cap[1] {
                "fn" => &mut items.functions,
                "const" | "static" | "static mut" => &mut items.vars,
                _ => &mut items.types,
            };
            set.insert(cap[2].to_string());
        }
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_names_are_read_by_kind() {
        let code = r#"
pub const MINI_MAX: u32 = 8;
#[repr(C)]
pub struct mini_ref {
    pub refs: ::std::os::raw::c_int,
    pub type_: u8,
}
pub type mini_color = ::std::os::raw::c_uint;
unsafe extern "C" {
    #[link_name = "mini_add__extern"]
    pub fn mini_add(a: i32) -> i32;
    pub static mut mini_counter: u64;
}
"#;
        let items = Items::of(code);
        assert_eq!(items.functions, BTreeSet::from(["mini_add".to_string()]));
        assert_eq!(
            items.types,
            BTreeSet::from(["mini_color".to_string(), "mini_ref".to_string()])
        );
        assert_eq!(
            items.vars,
            BTreeSet::from(["MINI_MAX".to_string(), "mini_counter".to_string()])
        );
    }

    #[test]
    fn helper_link_names_lose_the_no_mangle_marker() {
        let code = "#[link_name = \"\\u{1}rust_helper_foo\"]\npub fn foo();".to_string();
        let helpers = BTreeSet::from(["rust_helper_foo".to_string()]);
        assert_eq!(
            plain_link_names(code, &helpers),
            "#[link_name = \"rust_helper_foo\"]\npub fn foo();"
        );
    }
}
