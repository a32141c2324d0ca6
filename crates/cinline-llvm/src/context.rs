//! [`Context`]: an owned `LLVMContext` that collects LLVM's diagnostics.

use std::cell::RefCell;
use std::ffi::{c_char, c_uint, c_void, CString};
use std::ptr::{self, NonNull};

use crate::api::{self, Api};
use crate::module::Module;
use crate::target::{TargetMachine, TargetSpec};
use crate::{take_message, LlvmError};

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

    /// Parses textual LLVM IR into a module. `name` is used in LLVM's
    /// messages. Meant for small modules cinline writes itself (probes).
    pub fn parse_ir(&self, text: &str, name: &str) -> Result<Module<'_>, LlvmError> {
        let api = self.api;
        let c_text =
            CString::new(text).map_err(|_| LlvmError(format!("{name}: IR contains NUL")))?;
        let c_name = CString::new(name).unwrap_or_default();
        self.take_diagnostics();
        let bytes = c_text.as_bytes();
        // SAFETY: the buffer borrows `c_text`, NUL-terminated as LLVM's IR
        // lexer requires, which outlives the call; `LLVMParseIRInContext`
        // takes ownership of the buffer (only the buffer object, not the
        // bytes) and disposes of it; the message is ours to free.
        unsafe {
            let buffer = (api.LLVMCreateMemoryBufferWithMemoryRange)(
                bytes.as_ptr() as *const c_char,
                bytes.len(),
                c_name.as_ptr(),
                1,
            );
            let mut module = ptr::null_mut();
            let mut message = ptr::null_mut();
            let failed =
                (api.LLVMParseIRInContext)(self.raw.as_ptr(), buffer, &mut module, &mut message);
            let text = take_message(api, message);
            match NonNull::new(module) {
                Some(module) if failed == 0 => Ok(Module::from_raw(self, module)),
                Some(module) => {
                    drop(Module::from_raw(self, module));
                    Err(LlvmError(text))
                }
                None if text.is_empty() => Err(self.error("cannot parse IR")),
                None => Err(LlvmError(text)),
            }
        }
    }

    /// A target machine for `spec`, in the LLVM this context belongs to.
    pub fn target_machine(&self, spec: &TargetSpec<'_>) -> Result<TargetMachine, LlvmError> {
        TargetMachine::new(self.api, spec)
    }

    /// The host's CPU name and features as the loaded LLVM detects them
    /// (what `-C target-cpu=native` stands for): `("znver5",
    /// "+avx,+sse4.2,...")`. `None` before a libLLVM is loaded.
    pub fn host_cpu() -> Option<(String, String)> {
        let api = &crate::LOADED.get()?.api;
        // SAFETY: both return strings LLVM allocated for us, freed by
        // `take_message`.
        unsafe {
            Some((
                take_message(api, (api.LLVMGetHostCPUName)()),
                take_message(api, (api.LLVMGetHostCPUFeatures)()),
            ))
        }
    }

    /// Drains the diagnostics collected so far.
    pub(crate) fn take_diagnostics(&self) -> Vec<String> {
        std::mem::take(&mut *self.diagnostics.borrow_mut())
    }

    /// The kind number of the enum attribute `name` (`"noinline"`...); 0,
    /// which no attribute has, for an unknown name.
    pub(crate) fn enum_kind(&self, name: &str) -> c_uint {
        // SAFETY: name passed with its length.
        unsafe {
            (self.api.LLVMGetEnumAttributeKindForName)(name.as_ptr() as *const c_char, name.len())
        }
    }

    /// The enum attribute of `kind` (from [`Context::enum_kind`], not 0),
    /// in this context.
    pub(crate) fn enum_attribute(&self, kind: c_uint) -> api::AttributeRef {
        // SAFETY: attributes are uniqued in, and owned by, the live context.
        unsafe { (self.api.LLVMCreateEnumAttribute)(self.raw.as_ptr(), kind, 0) }
    }

    /// The string attribute `key` = `value`, in this context.
    pub(crate) fn string_attribute(&self, key: &str, value: &str) -> api::AttributeRef {
        // SAFETY: key and value passed with their lengths; the attribute is
        // uniqued in, and owned by, the live context.
        unsafe {
            (self.api.LLVMCreateStringAttribute)(
                self.raw.as_ptr(),
                key.as_ptr() as *const c_char,
                key.len() as c_uint,
                value.as_ptr() as *const c_char,
                value.len() as c_uint,
            )
        }
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
