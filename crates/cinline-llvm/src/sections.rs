//! One section per function and variable: the `-function-sections` and
//! `-data-sections` of LLVM's code generator, which the C API cannot switch
//! on, done by naming each global's section as LLVM would.

use std::ffi::{c_uint, CString};

use crate::api::{self, Api};
use crate::module::{
    value_name, Module, LINKAGE_APPENDING, LINKAGE_AVAILABLE_EXTERNALLY, LINKAGE_COMMON,
};

impl Module<'_> {
    /// Gives each defined function and global variable that has no section
    /// of its own a section of its own, named as LLVM's `-function-sections`
    /// and `-data-sections` name them (`.text.NAME`, `.rodata.NAME`,
    /// `.data.rel.ro.NAME`, `.data.NAME`, `.bss.NAME`, `.tdata.NAME`,
    /// `.tbss.NAME`), which the C API cannot switch on: the linker's
    /// `--gc-sections` can then drop each unused one. ELF only. The prefix
    /// follows the variable, as LLVM's own classification would: LLVM
    /// derives the section's type from it (`.bss` holds no bytes).
    pub fn separate_sections(&self) {
        self.for_each_global_value(|api, value| {
            // SAFETY: `value` is a global value of this module; only its
            // section changes, and its initializer is read, not changed.
            unsafe {
                let prefix = if !(api.LLVMIsAFunction)(value).is_null() {
                    ".text."
                } else if (api.LLVMIsAGlobalVariable)(value).is_null() {
                    return; // an alias: it lives in its aliasee's section
                } else {
                    match data_section_prefix(api, value) {
                        Some(prefix) => prefix,
                        None => return,
                    }
                };
                let section = (api.LLVMGetSection)(value);
                let has_section = !section.is_null() && *section != 0;
                let name = value_name(api, value);
                if (api.LLVMIsDeclaration)(value) != 0 || has_section || name.starts_with("llvm.") {
                    return;
                }
                if let Ok(section) = CString::new(format!("{prefix}{name}")) {
                    (api.LLVMSetSection)(value, section.as_ptr());
                }
            }
        });
    }
}

/// The `-data-sections` prefix for the global variable `var`, or `None` if
/// it must keep its place (common, appending, available-externally).
///
/// # Safety
/// `var` must be a live global variable.
unsafe fn data_section_prefix(api: &'static Api, var: api::ValueRef) -> Option<&'static str> {
    // SAFETY: per the contract, `var` is a live global variable.
    unsafe {
        let linkage = (api.LLVMGetLinkage)(var);
        if matches!(
            linkage,
            LINKAGE_COMMON | LINKAGE_APPENDING | LINKAGE_AVAILABLE_EXTERNALLY
        ) {
            return None;
        }
        let init = (api.LLVMGetInitializer)(var);
        if init.is_null() {
            return None;
        }
        let zero = (api.LLVMIsNull)(init) != 0;
        Some(if (api.LLVMIsThreadLocal)(var) != 0 {
            if zero {
                ".tbss."
            } else {
                ".tdata."
            }
        } else if (api.LLVMIsGlobalConstant)(var) != 0 {
            if has_relocations(api, init) {
                ".data.rel.ro."
            } else {
                ".rodata."
            }
        } else if zero {
            ".bss."
        } else {
            ".data."
        })
    }
}

/// Whether the constant `c` refers to a symbol or a code address, so that
/// the loader may have to patch it.
///
/// # Safety
/// `c` must be a live constant.
unsafe fn has_relocations(api: &'static Api, c: api::ValueRef) -> bool {
    // SAFETY: per the contract; operands of a constant are constants.
    unsafe {
        if !(api.LLVMIsAGlobalValue)(c).is_null() || !(api.LLVMIsABlockAddress)(c).is_null() {
            return true;
        }
        (0..(api.LLVMGetNumOperands)(c).max(0) as c_uint)
            .any(|i| has_relocations(api, (api.LLVMGetOperand)(c, i)))
    }
}
