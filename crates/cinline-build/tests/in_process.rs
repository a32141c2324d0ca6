//! `try_generate` called as a build script would call it, on tiny inputs
//! in scratch directories: what it writes, and one clear error for each
//! kind of bad input.
//!
//! cargo sets `CARGO_PKG_NAME` for test binaries too; `TARGET`, `HOST`,
//! `RUSTC` and `OPT_LEVEL` fall back to rustc's host, `rustc` and `0`;
//! `OUT_DIR` is given with `Builder::out_dir`.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::Mutex;

use cinline_build::{Builder, Error, ErrorKind, Generated};
use cinline_core::bitcode::BitcodeFile;

/// One generation at a time: the first points `LIBCLANG_PATH` at the
/// libclang it finds, and libclang may read the environment meanwhile.
static SERIAL: Mutex<()> = Mutex::new(());

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(files: &[(&str, &str)]) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn builder(&self) -> Builder {
        Builder::new().out_dir(self.path("out"))
    }
}

fn generate(builder: &Builder) -> Result<Generated, Error> {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    builder.try_generate()
}

const HEADER: &str = "\
#include <stdint.h>
struct pair { int32_t a, b; };
static inline int32_t pair_sum(const struct pair *p) { return p->a + p->b; }
static inline int32_t twice(int32_t x) { return 2 * x; }
";

const HELPERS: &str = "\
#include \"pair.h\"
#define PAIR_MAX(p) ((p)->a > (p)->b ? (p)->a : (p)->b)
int32_t rust_helper_pair_max(const struct pair *p) { return PAIR_MAX(p); }
";

#[test]
fn a_header_and_helpers_give_bindings_bitcode_and_a_manifest() {
    let s = Scratch::new(&[("pair.h", HEADER), ("helpers.c", HELPERS)]);
    let generated = generate(
        &s.builder()
            .header(s.path("pair.h"))
            .allowlist_function("pair_.*")
            .allowlist_type("pair")
            .helpers_file(s.path("helpers.c")),
    )
    .unwrap();

    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    assert!(bindings.contains("pub struct pair"), "{bindings}");
    assert!(bindings.contains("pub fn pair_sum("), "{bindings}");
    assert!(!bindings.contains("pub fn twice("), "{bindings}");
    assert!(bindings.contains("#[link_name = \"rust_helper_pair_max\"]"));
    assert!(bindings.contains("pub fn pair_max("), "{bindings}");
    assert!(generated.wrappers.as_ref().unwrap().is_file());

    let manifest = generated.manifest.unwrap();
    assert_eq!(manifest.package, env!("CARGO_PKG_NAME"));
    assert_eq!(
        manifest.symbols,
        ["pair_sum__extern", "rust_helper_pair_max"]
    );
    let out = s.path("out");
    let path = generated.manifest_path.unwrap();
    assert_eq!(
        path,
        out.join(format!("{}.cinline.json", env!("CARGO_PKG_NAME")))
    );
    assert_eq!(
        cinline_core::manifest::Manifest::read(&path).unwrap(),
        manifest
    );
    for bc in &manifest.bitcode {
        let file = BitcodeFile::read(&out.join(bc)).unwrap();
        assert_eq!(
            file.version.map(|v| v.to_string()),
            Some(manifest.llvm_version.clone())
        );
    }
    assert_eq!(
        generated.static_lib.as_deref(),
        Some("cinline_cinline_build")
    );
    assert!(out.join("libcinline_cinline_build.a").is_file());
}

#[test]
fn a_header_that_does_not_parse_is_refused_with_clangs_diagnostic() {
    let s = Scratch::new(&[(
        "bad.h",
        "static inline int broken(void) { return no_such_thing; }\n",
    )]);
    let err = generate(&s.builder().header(s.path("bad.h"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Bindgen, "{err:?}");
    let message = err.to_string();
    assert!(message.contains("bad.h"), "{message}");
    assert!(message.contains("no_such_thing"), "{message}");
    assert!(!s.path("out/bindings.rs").exists());
}

#[test]
fn an_allowlist_that_matches_nothing_is_refused() {
    let s = Scratch::new(&[("pair.h", HEADER)]);
    let err = generate(
        &s.builder()
            .header(s.path("pair.h"))
            .allowlist_function("pair_.*")
            .allowlist_function("io_uring_.*"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AllowlistUnmatched, "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("allowlist_function(\"io_uring_.*\") matches nothing"),
        "{message}"
    );
    assert!(message.contains("pair.h"), "{message}");

    let err = generate(&s.builder().header(s.path("pair.h")).allowlist_type("nope")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AllowlistUnmatched, "{err:?}");
    assert!(
        err.to_string().starts_with("allowlist_type(\"nope\")"),
        "{err}"
    );
}

#[test]
fn a_helpers_file_that_does_not_parse_is_refused_with_clangs_diagnostic() {
    let s = Scratch::new(&[(
        "helpers.c",
        "int rust_helper_oops(void) { return missing_macro(1); }\n",
    )]);
    let err = generate(&s.builder().helpers_file(s.path("helpers.c"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Helper, "{err:?}");
    let message = err.to_string();
    assert!(message.contains("helpers.c"), "{message}");
    assert!(message.contains("missing_macro"), "{message}");
}

#[test]
fn a_helpers_file_that_does_not_compile_is_refused_with_clangs_diagnostic() {
    // bindgen sees the declaration (__BINDGEN__ is defined for it); the
    // compiler sees the error.
    let helper = "int rust_helper_fine(void) { return 1; }\n";
    let s = Scratch::new(&[("helpers.c", helper)]);
    let manifest = s.path(&format!("out/{}.cinline.json", env!("CARGO_PKG_NAME")));
    generate(&s.builder().helpers_file(s.path("helpers.c"))).unwrap();
    assert!(manifest.is_file());

    let broken = "#ifndef __BINDGEN__\n#error helpers need a newer libmini\n#endif\n";
    std::fs::write(s.path("helpers.c"), format!("{broken}{helper}")).unwrap();
    let err = generate(&s.builder().helpers_file(s.path("helpers.c"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Compile, "{err:?}");
    let message = err.to_string();
    let file = s.path("helpers.c").display().to_string();
    assert!(
        message.starts_with(&format!("{file}: cannot compile")),
        "{message}"
    );
    assert!(
        message.contains("helpers need a newer libmini"),
        "{message}"
    );
    assert!(message.contains("-emit-llvm"), "{message}");
    assert!(!manifest.exists(), "the earlier run's manifest is gone");
}

#[test]
fn a_helpers_file_without_helpers_is_refused() {
    let s = Scratch::new(&[("helpers.c", "static int not_a_helper(void) { return 1; }\n")]);
    let err = generate(&s.builder().helpers_file(s.path("helpers.c"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Helper, "{err:?}");
    assert!(err.to_string().contains("rust_helper_"), "{err}");
}

#[test]
fn a_helper_named_like_a_bound_function_is_refused() {
    let s = Scratch::new(&[
        ("pair.h", HEADER),
        (
            "helpers.c",
            "#include \"pair.h\"\nint32_t rust_helper_twice(int32_t x) { return x + x; }\n",
        ),
    ]);
    let err = generate(
        &s.builder()
            .header(s.path("pair.h"))
            .helpers_file(s.path("helpers.c")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NameClash, "{err:?}");
    assert!(err.to_string().contains("bound as `twice`"), "{err}");
}

#[test]
fn missing_inputs_are_named() {
    let s = Scratch::new(&[]);
    let err = generate(&s.builder().header(s.path("nope.h"))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingInput, "{err:?}");
    assert!(err.to_string().contains("nope.h: no such file"), "{err}");
    let err = generate(&s.builder()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoInput, "{err:?}");
}

#[test]
#[should_panic(expected = "cinline-build: allowlist_var(\"NOPE\") matches nothing")]
fn generate_panics_with_the_message() {
    let s = Scratch::new(&[("pair.h", HEADER)]);
    let builder = s.builder().header(s.path("pair.h")).allowlist_var("NOPE");
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    builder.generate();
}

#[test]
fn a_missing_clang_is_named_with_what_was_tried() {
    let s = Scratch::new(&[("pair.h", HEADER)]);
    let builder = s.builder().header(s.path("pair.h"));
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Safe to change: every other generation waits for SERIAL.
    std::env::set_var("CLANG_PATH", "/nonexistent/clang-99");
    let result = builder.try_generate();
    std::env::remove_var("CLANG_PATH");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ToolNotFound, "{err:?}");
    assert!(
        err.to_string()
            .starts_with("clang /nonexistent/clang-99 (from CLANG_PATH)"),
        "{err}"
    );
}

/// With clang-16 and clang-22 installed, bindgen's own search for clang's
/// include directories took clang-16's, and `<liburing.h>` failed with
/// `atomic_store_explicit` undeclared.
#[test]
fn liburing_parses_whatever_other_clangs_are_installed() {
    // A test that cannot run fails: scripts/setup.sh installs liburing-dev.
    assert!(
        std::path::Path::new("/usr/include/liburing.h").is_file(),
        "no /usr/include/liburing.h: apt-get install liburing-dev (scripts/setup.sh does)"
    );
    let s = Scratch::new(&[("wrapper.h", "#include <liburing.h>\n")]);
    let generated = generate(
        &s.builder()
            .header(s.path("wrapper.h"))
            .allowlist_function("io_uring_cq_advance|io_uring_prep_nop"),
    )
    .unwrap();
    assert_eq!(
        generated.manifest.unwrap().symbols,
        ["io_uring_cq_advance__extern", "io_uring_prep_nop__extern"]
    );
}

#[test]
fn function_like_macros_become_helpers_bound_under_their_names() {
    let s = Scratch::new(&[("sock.h", "#include <sys/socket.h>\n")]);
    let generated = generate(
        &s.builder()
            .header(s.path("sock.h"))
            .allowlist_type("msghdr|cmsghdr")
            .function_macro("size_t CMSG_SPACE(size_t len)")
            .function_macro("size_t CMSG_LEN(size_t len)")
            .function_macro("struct cmsghdr *CMSG_FIRSTHDR(struct msghdr *mhdr)")
            .function_macro("unsigned char *CMSG_DATA(struct cmsghdr *cmsg)"),
    )
    .unwrap();
    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    for name in ["CMSG_SPACE", "CMSG_LEN", "CMSG_FIRSTHDR", "CMSG_DATA"] {
        assert!(
            bindings.contains(&format!("#[link_name = \"rust_helper_{name}\"]")),
            "{bindings}"
        );
        assert!(bindings.contains(&format!("pub fn {name}(")), "{bindings}");
    }
    assert!(
        bindings.contains("pub fn CMSG_SPACE(len: usize) -> usize"),
        "{bindings}"
    );
    let manifest = generated.manifest.unwrap();
    assert!(manifest
        .symbols
        .contains(&"rust_helper_CMSG_FIRSTHDR".to_string()));
    assert!(manifest
        .bitcode
        .contains(&PathBuf::from("cinline/cinline_macros.bc")));
}

#[test]
fn a_macro_prototype_that_does_not_compile_is_refused_naming_it() {
    let s = Scratch::new(&[("sock.h", "#include <sys/socket.h>\n")]);
    let err = generate(
        &s.builder()
            .header(s.path("sock.h"))
            .function_macro("size_t CMSG_SPACE(size_t len)")
            .function_macro("int NOT_A_MACRO(int x)"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FunctionMacro, "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("function_macro(\"int NOT_A_MACRO(int x)\"): does not compile"),
        "{message}"
    );
    assert!(message.contains("NOT_A_MACRO"), "{message}");

    let err = generate(
        &s.builder()
            .header(s.path("sock.h"))
            .function_macro("CMSG_SPACE"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FunctionMacro, "{err:?}");
    let err = generate(&s.builder().function_macro("size_t CMSG_SPACE(size_t len)")).unwrap_err();
    assert!(err.to_string().contains("no header"), "{err}");
}

#[test]
fn helpers_are_compiled_for_the_crates_cpu() {
    // `_mm_crc32_u32` needs SSE4.2: the wrapper compiles only for a CPU
    // that has it, which the crate's `-C target-cpu` says.
    let header = "#include <nmmintrin.h>\n\
        static inline unsigned crc_step(unsigned c, unsigned v) { return _mm_crc32_u32(c, v); }\n";
    let s = Scratch::new(&[("crc.h", header)]);
    let builder = s
        .builder()
        .header(s.path("crc.h"))
        .allowlist_function("crc_step");
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    std::env::remove_var("CARGO_ENCODED_RUSTFLAGS");
    let err = builder.try_generate().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Compile, "{err}");
    assert!(
        err.to_string().contains("sse4.2") || err.to_string().contains("crc32"),
        "{err}"
    );
    // Safe to change: every other generation waits for SERIAL.
    std::env::set_var("CARGO_ENCODED_RUSTFLAGS", "-C\x1ftarget-cpu=corei7");
    let result = builder.try_generate();
    std::env::remove_var("CARGO_ENCODED_RUSTFLAGS");
    let generated = result.unwrap();
    let manifest = generated.manifest.unwrap();
    assert_eq!(manifest.symbols, ["crc_step__extern"]);
    // The helper is compiled for the crate's CPU, as the Rust code is.
    let bc = s.path("out").join(&manifest.bitcode[0]);
    let out = std::process::Command::new("llvm-dis-22")
        .arg(&bc)
        .arg("-o")
        .arg("-")
        .output()
        .expect("runs llvm-dis-22 (package llvm-22; scripts/setup.sh installs it)");
    let ir = String::from_utf8_lossy(&out.stdout);
    assert!(ir.contains("\"target-cpu\"=\"corei7\""), "{ir}");
}

#[test]
fn a_crates_own_bindgen_configuration_is_kept() {
    let header = "#include <stdint.h>\n\
        enum mode { MODE_A, MODE_B };\n\
        struct pair { int32_t a, b; };\n\
        static inline int32_t pair_sum(const struct pair *p) { return p->a + p->b; }\n";
    let s = Scratch::new(&[("pair.h", header)]);
    let generated = generate(
        &s.builder()
            .header(s.path("pair.h"))
            .bindgen(|b| b.derive_default(true))
            .bindgen(|b| b.rustified_enum("mode")),
    )
    .unwrap();
    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    assert!(bindings.contains("pub enum mode {"), "{bindings}");
    assert!(
        bindings.contains("Default") && bindings.contains("pub struct pair"),
        "{bindings}"
    );
    // cinline's part on top: the static function is wrapped.
    assert!(
        bindings.contains("#[link_name = \"pair_sum__extern\"]"),
        "{bindings}"
    );
}

#[test]
fn functions_rust_cannot_call_with_the_right_abi_are_left_out_and_named() {
    let header = "static inline long double ld_half(long double x) { return x / 2; }\n\
        static inline double d_half(double x) { return x / 2; }\n";
    let s = Scratch::new(&[("ld.h", header)]);
    let generated = generate(
        &s.builder()
            .header(s.path("ld.h"))
            .allowlist_function("ld_.*")
            .allowlist_function("d_half"),
    )
    .unwrap();
    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    assert!(!bindings.contains("ld_half"), "{bindings}");
    assert!(
        bindings.contains("pub fn d_half(x: f64) -> f64"),
        "{bindings}"
    );
    assert_eq!(generated.left_out.len(), 1, "{:?}", generated.left_out);
    assert_eq!(generated.left_out[0].0, "ld_half");
    assert!(generated.left_out[0].1.contains("long double"));
    let manifest = generated.manifest.unwrap();
    assert_eq!(manifest.symbols, ["d_half__extern"]);
}

#[test]
fn c99_inline_functions_are_bound_and_defined_for_inlining() {
    // C99 `inline`, not static (libxdp's xsk.h does this): bindgen alone
    // binds nothing, and the allowlist would match nothing.
    let header = "inline __attribute__((always_inline)) int add1(int x) { return x + 1; }\n\
        static inline int add2(int x) { return x + 2; }\n";
    let s = Scratch::new(&[("c99.h", header)]);
    let generated = generate(
        &s.builder()
            .header(s.path("c99.h"))
            .allowlist_function("add1")
            .allowlist_function("add2"),
    )
    .unwrap();
    let bindings = std::fs::read_to_string(&generated.bindings).unwrap();
    assert!(
        bindings.contains("pub fn add1(x: ::std::os::raw::c_int)"),
        "{bindings}"
    );
    assert!(!bindings.contains("add1__extern"), "{bindings}");
    let manifest = generated.manifest.unwrap();
    // The native library and the bitcode define `add1` itself.
    assert_eq!(manifest.symbols, ["add1", "add2__extern"]);
    assert!(manifest
        .bitcode
        .contains(&PathBuf::from("cinline/cinline_inline.bc")));
}
