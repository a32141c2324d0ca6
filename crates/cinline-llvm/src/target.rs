//! [`TargetMachine`]: code generation for one triple, CPU and feature set.

use std::ffi::CString;
use std::ptr::{self, NonNull};

use crate::api::{self, Api};
use crate::module::{buffer_bytes, Module};
use crate::{take_message, LlvmError};

/// Code generation optimisation level (`LLVMCodeGenOptLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptLevel {
    /// `-O0`.
    None = 0,
    /// `-O1`.
    Less = 1,
    /// `-O2`.
    Default = 2,
    /// `-O3`.
    Aggressive = 3,
}

/// Relocation model (`LLVMRelocMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocModel {
    /// The target's default.
    Default = 0,
    /// Non-relocatable code (`-C relocation-model=static`).
    Static = 1,
    /// Position-independent code.
    Pic = 2,
    /// Non-PIC code that may use PIC data (`dynamic-no-pic`).
    DynamicNoPic = 3,
}

/// Code model (`LLVMCodeModel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeModel {
    /// The target's default.
    Default = 0,
    /// `tiny`.
    Tiny = 2,
    /// `small`.
    Small = 3,
    /// `kernel`: the Linux kernel's x86-64 model.
    Kernel = 4,
    /// `medium`.
    Medium = 5,
    /// `large`.
    Large = 6,
}

/// What a [`TargetMachine`] generates code for.
#[derive(Debug, Clone, Copy)]
pub struct TargetSpec<'a> {
    /// The LLVM triple.
    pub triple: &'a str,
    /// The CPU (empty: the target's default).
    pub cpu: &'a str,
    /// Features, `+x,-y`.
    pub features: &'a str,
    /// Optimisation level of code generation.
    pub opt: OptLevel,
    /// Relocation model.
    pub reloc: RelocModel,
    /// Code model.
    pub code_model: CodeModel,
}

/// An LLVM target machine, owned.
pub struct TargetMachine {
    api: &'static Api,
    raw: NonNull<api::OpaqueTargetMachine>,
}

impl TargetMachine {
    pub(crate) fn new(
        api: &'static Api,
        spec: &TargetSpec<'_>,
    ) -> Result<TargetMachine, LlvmError> {
        let c = |s: &str| CString::new(s).map_err(|_| LlvmError(format!("{s:?} contains NUL")));
        let (c_triple, c_cpu, c_features) = (c(spec.triple)?, c(spec.cpu)?, c(spec.features)?);
        let triple = spec.triple;
        let mut target = ptr::null_mut();
        let mut message = ptr::null_mut();
        // SAFETY: out-pointers are valid; the message is ours to free.
        let failed =
            unsafe { (api.LLVMGetTargetFromTriple)(c_triple.as_ptr(), &mut target, &mut message) };
        // SAFETY: `message` is null or allocated by LLVM.
        let text = unsafe { take_message(api, message) };
        if failed != 0 {
            return Err(LlvmError(format!("no LLVM target for {triple}: {text}")));
        }
        // SAFETY: `target` came from LLVM's registry; strings are copied.
        let raw = unsafe {
            (api.LLVMCreateTargetMachine)(
                target,
                c_triple.as_ptr(),
                c_cpu.as_ptr(),
                c_features.as_ptr(),
                spec.opt as i32,
                spec.reloc as i32,
                spec.code_model as i32,
            )
        };
        let raw = NonNull::new(raw)
            .ok_or_else(|| LlvmError(format!("cannot create a target machine for {triple}")))?;
        Ok(TargetMachine { api, raw })
    }

    pub(crate) fn as_raw(&self) -> api::TargetMachineRef {
        self.raw.as_ptr()
    }

    /// Generates a native object file from `module`.
    pub fn emit_object(&self, module: &Module<'_>) -> Result<Vec<u8>, LlvmError> {
        let api = self.api;
        let mut message = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        // SAFETY: out-pointers are valid; the buffer and message, if set,
        // are ours to read and free.
        unsafe {
            let failed = (api.LLVMTargetMachineEmitToMemoryBuffer)(
                self.as_raw(),
                module.as_raw(),
                api::OBJECT_FILE,
                &mut message,
                &mut buffer,
            );
            let text = take_message(api, message);
            if failed != 0 || buffer.is_null() {
                return Err(LlvmError(text));
            }
            let bytes = buffer_bytes(api, buffer).to_vec();
            (api.LLVMDisposeMemoryBuffer)(buffer);
            Ok(bytes)
        }
    }
}

impl Drop for TargetMachine {
    fn drop(&mut self) {
        // SAFETY: we own the target machine.
        unsafe { (self.api.LLVMDisposeTargetMachine)(self.as_raw()) };
    }
}
