//! Safe access to the LLVM that rustc itself uses.
//!
//! rustup toolchains ship LLVM as a shared library in the sysroot
//! (`lib/libLLVM.so.22.1-rust-1.95.0-stable`) and it exports the LLVM C API.
//! This crate loads such a library at run time ([`Llvm::load`]) and offers
//! the handful of operations cinline needs — parse bitcode, link modules,
//! change linkage and attributes, verify, run a pass pipeline, emit an object —
//! through owned types that free their LLVM resources on drop:
//!
//! * [`Context`] owns an `LLVMContext` and collects LLVM's diagnostics, so an
//!   error never reaches LLVM's default handler (which would exit the process);
//! * [`Module`] borrows its context, so it cannot outlive it;
//! * [`Function`] is a handle into a module, borrowed from it, and
//!   [`CallSite`] one into a function's body;
//! * [`TargetMachine`] owns an `LLVMTargetMachine`.
//!
//! Every `unsafe` block of cinline lives in this crate.

mod api;
mod calls;
mod context;
mod global;
mod module;
mod sections;
mod target;

use std::ffi::{c_char, CStr};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use libloading::Library;

pub use calls::CallSite;
pub use cinline_cc::toolchain::Version;
pub use context::Context;
pub use global::{Global, GlobalKind, Linkage};
pub use module::{Function, Module};
pub use target::{CodeModel, OptLevel, RelocModel, TargetMachine, TargetSpec};

use api::Api;

/// An error reported by LLVM, with the text LLVM gave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LlvmError(pub String);

/// Why a libLLVM could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// `dlopen` failed.
    #[error("cannot load {path}: {reason}")]
    Open {
        /// The library tried.
        path: PathBuf,
        /// The dynamic loader's message.
        reason: String,
    },
    /// The library lacks a C API function cinline needs.
    #[error(
        "{path} does not export {symbol}: it is not a libLLVM with the C API of LLVM 16 or newer"
    )]
    MissingSymbol {
        /// The library tried.
        path: PathBuf,
        /// The first missing function.
        symbol: String,
    },
    /// A different libLLVM is already loaded in this process.
    #[error("{loaded} is already loaded; cannot also load {path}")]
    AlreadyLoaded {
        /// The library loaded earlier.
        loaded: PathBuf,
        /// The library asked for now.
        path: PathBuf,
    },
}

/// A loaded libLLVM: the library, its C API table and its version.
///
/// One libLLVM is loaded per process and never unloaded (LLVM keeps global
/// state, such as its target registry, that must not be torn down).
pub struct Llvm {
    api: Api,
    version: Version,
    path: PathBuf,
    _library: Library,
}

static LOADED: OnceLock<Llvm> = OnceLock::new();

impl Llvm {
    /// Loads the libLLVM at `path`, resolves the C API and initialises every
    /// code generator it contains. Loading the same path again returns the
    /// same library. Thread-safe: the library is opened and its targets
    /// initialised once, under a lock, before any caller gets it.
    pub fn load(path: &Path) -> Result<&'static Llvm, LoadError> {
        // One loader at a time: two threads must not both open the library
        // and run its (not thread-safe) target registrations at once, and
        // nobody may see the library before its targets are registered.
        static LOADING: Mutex<()> = Mutex::new(());
        let _guard = LOADING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(loaded) = LOADED.get() {
            return if loaded.path == path {
                Ok(loaded)
            } else {
                Err(LoadError::AlreadyLoaded {
                    loaded: loaded.path.clone(),
                    path: path.to_path_buf(),
                })
            };
        }
        let open_error = |reason: String| LoadError::Open {
            path: path.to_path_buf(),
            reason,
        };
        // SAFETY: loading libLLVM runs its static constructors, which only
        // register LLVM's own options and passes.
        let library = unsafe { Library::new(path) }.map_err(|e| open_error(e.to_string()))?;
        // SAFETY: the names resolved are LLVM C API functions, whose
        // signatures `api.rs` copies from LLVM's headers; the table is stored
        // next to the library, which is never unloaded.
        let api = unsafe { Api::resolve(&library) }.map_err(|symbol| LoadError::MissingSymbol {
            path: path.to_path_buf(),
            symbol,
        })?;
        let (mut major, mut minor, mut patch) = (0, 0, 0);
        // SAFETY: the three out-pointers are valid for writes.
        unsafe { (api.LLVMGetVersion)(&mut major, &mut minor, &mut patch) };
        // Registered before the library is published below, under the lock.
        initialize_targets(&library);
        let llvm = Llvm {
            api,
            version: Version {
                major,
                minor,
                patch,
            },
            path: path.to_path_buf(),
            _library: library,
        };
        Ok(LOADED.get_or_init(|| llvm))
    }

    /// The libLLVM this process loaded, if it loaded one.
    pub fn loaded() -> Option<&'static Llvm> {
        LOADED.get()
    }

    /// The LLVM release of this library.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The file this library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new, empty LLVM context.
    pub fn context(&'static self) -> Context {
        Context::new(&self.api)
    }
}

/// The code generators cinline may need, by LLVM's target name. Each has
/// the five `LLVMInitialize<Name>*` entry points; a library built without
/// one of them simply lacks those symbols.
const TARGETS: &[&str] = &[
    "X86",
    "AArch64",
    "ARM",
    "RISCV",
    "LoongArch",
    "PowerPC",
    "SystemZ",
    "WebAssembly",
];

/// Registers every code generator present in `library`, including its
/// assembly parser: inline `asm` in helpers is assembled by it.
fn initialize_targets(library: &Library) {
    for target in TARGETS {
        for part in [
            "TargetInfo",
            "Target",
            "TargetMC",
            "AsmPrinter",
            "AsmParser",
        ] {
            let name = format!("LLVMInitialize{target}{part}\0");
            // SAFETY: `LLVMInitialize*` functions take no argument and return
            // nothing; they are idempotent registrations.
            unsafe {
                if let Ok(init) = library.get::<unsafe extern "C" fn()>(name.as_bytes()) {
                    init();
                }
            }
        }
    }
}

/// Copies a C string owned by LLVM, or gives "" for null.
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string valid for reads.
unsafe fn copy_str(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated per the contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// Copies and frees a message LLVM allocated for us (`LLVMDisposeMessage`).
///
/// # Safety
/// `ptr` must be null or a message allocated by LLVM's `strdup`.
unsafe fn take_message(api: &Api, ptr: *mut c_char) -> String {
    // SAFETY: per the contract.
    let text = unsafe { copy_str(ptr) };
    if !ptr.is_null() {
        // SAFETY: LLVM allocated it and nobody else frees it.
        unsafe { (api.LLVMDisposeMessage)(ptr) };
    }
    text
}
