//! [`Context`]: an owned `LLVMContext` that collects LLVM's diagnostics.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CString};
use std::ptr::{self, NonNull};

use crate::api::{self, Api};
use crate::module::Module;
use crate::LlvmError;

/// An LLVM context. Modules parsed in it borrow it.
///
/// LLVM reports many errors (bitcode that does not parse, modules that do
/// not link) through the context's diagnostic handler. Left to itself LLVM
/// prints them and *exits the process*; this context installs a handler that
/// stores them, and the operation that failed returns them as [`LlvmError`].
pub struct Context {
    pub(crate) api: &'static Api,
    pub(crate) raw: NonNull<api::OpaqueContext>,
    /// Boxed so the address handed to LLVM stays put.
    diagnostics: Box<RefCell<Vec<String>>>,
}

unsafe extern "C" fn collect_diagnostic(info: api::DiagnosticInfoRef, sink: *mut c_void) {
    // SAFETY: `sink` is the `RefCell` boxed in the `Context` that installed
    // this handler, and LLVM calls it only while that context is alive.
    let sink = unsafe { &*(sink as *const RefCell<Vec<String>>) };
    let Some(api) = crate::LOADED.get().map(|llvm| &llvm.api) else {
        return;
    };
    // SAFETY: `info` is valid during the callback; the description is a
    // message we own and free.
    let (severity, text) = unsafe {
        (
            (api.LLVMGetDiagInfoSeverity)(info),
            crate::take_message(api, (api.LLVMGetDiagInfoDescription)(info)),
        )
    };
    if severity == api::DIAGNOSTIC_ERROR {
        if let Ok(mut sink) = sink.try_borrow_mut() {
            sink.push(text);
        }
    }
}

impl Context {
    pub(crate) fn new(api: &'static Api) -> Context {
        // SAFETY: plain constructor.
        let raw = unsafe { (api.LLVMContextCreate)() };
        let raw = NonNull::new(raw).expect("LLVMContextCreate returned null");
        let diagnostics = Box::new(RefCell::new(Vec::new()));
        // SAFETY: the handler and its sink live as long as the context: the
        // sink is dropped after `LLVMContextDispose` in `Drop`.
        unsafe {
            (api.LLVMContextSetDiagnosticHandler)(
                raw.as_ptr(),
                Some(collect_diagnostic),
                &*diagnostics as *const RefCell<Vec<String>> as *mut c_void,
            )
        };
        Context {
            api,
            raw,
            diagnostics,
        }
    }

    /// Parses a bitcode file's bytes into a module. `name` is used in
    /// LLVM's messages.
    pub fn parse_bitcode(&self, bytes: &[u8], name: &str) -> Result<Module<'_>, LlvmError> {
        let api = self.api;
        let c_name = CString::new(name).unwrap_or_default();
        self.take_diagnostics();
        // SAFETY: the buffer only borrows `bytes`, which outlives it: it is
        // disposed before this function returns, and
        // `LLVMParseBitcodeInContext2` reads the whole module eagerly.
        unsafe {
            let buffer = (api.LLVMCreateMemoryBufferWithMemoryRange)(
                bytes.as_ptr() as *const c_char,
                bytes.len(),
                c_name.as_ptr(),
                0,
            );
            let mut module = ptr::null_mut();
            let failed = (api.LLVMParseBitcodeInContext2)(self.raw.as_ptr(), buffer, &mut module);
            (api.LLVMDisposeMemoryBuffer)(buffer);
            match NonNull::new(module) {
                Some(module) if failed == 0 => Ok(Module::from_raw(self, module)),
                _ => Err(self.error("cannot parse bitcode")),
            }
        }
    }

    /// Drains the diagnostics collected so far.
    pub(crate) fn take_diagnostics(&self) -> Vec<String> {
        std::mem::take(&mut *self.diagnostics.borrow_mut())
    }

    /// An error made of LLVM's collected diagnostics, or `fallback` if LLVM
    /// said nothing.
    pub(crate) fn error(&self, fallback: &str) -> LlvmError {
        let diagnostics = self.take_diagnostics();
        if diagnostics.is_empty() {
            LlvmError(fallback.to_string())
        } else {
            LlvmError(diagnostics.join("; "))
        }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: modules borrow the context, so none is alive any more.
        unsafe { (self.api.LLVMContextDispose)(self.raw.as_ptr()) };
    }
}
