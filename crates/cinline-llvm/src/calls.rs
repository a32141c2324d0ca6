//! [`CallSite`]: a call in a function's body, and the attributes that
//! steer an inliner at that one call.

use std::ffi::{c_char, c_uint};
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::api::{self, Api};
use crate::context::Context;
use crate::module::{Function, Module};

/// A `call`, `invoke` or `callbr` instruction of a function, borrowed from
/// its module. Changes go through `&self`, as for [`Function`].
#[derive(Clone, Copy)]
pub struct CallSite<'m> {
    context: &'m Context,
    raw: NonNull<api::OpaqueValue>,
    _module: PhantomData<&'m Module<'m>>,
}

impl<'m> Function<'m> {
    /// The call sites of this function's body, in order (none for a
    /// declaration).
    pub fn call_sites(&self) -> Vec<CallSite<'m>> {
        let context = self.as_global().context;
        let mut out = Vec::new();
        self.for_each_instruction(|inst| {
            // SAFETY: classifying a live instruction.
            if unsafe { is_call(context.api, inst) } {
                if let Some(raw) = NonNull::new(inst) {
                    out.push(CallSite {
                        context,
                        raw,
                        _module: PhantomData,
                    });
                }
            }
        });
        out
    }

    /// The functions this body uses other than as the callee of a call:
    /// their addresses stored, passed or compared. Each once, in order of
    /// first use. C `main` names Rust's `main` this way: it hands it to
    /// `std::rt::lang_start` as a function pointer.
    pub fn functions_used_as_values(&self) -> Vec<Function<'m>> {
        let context = self.as_global().context;
        let api = context.api;
        let mut out: Vec<Function<'m>> = Vec::new();
        self.for_each_instruction(|inst| {
            // SAFETY: reading the operands of a live instruction.
            unsafe {
                let callee = if is_call(api, inst) {
                    (api.LLVMGetCalledValue)(inst)
                } else {
                    std::ptr::null_mut()
                };
                for i in 0..(api.LLVMGetNumOperands)(inst).max(0) as c_uint {
                    let operand = (api.LLVMGetOperand)(inst, i);
                    if operand == callee || (api.LLVMIsAFunction)(operand).is_null() {
                        continue;
                    }
                    if let Some(raw) = NonNull::new(operand) {
                        if !out.iter().any(|f| f.as_global().raw == raw) {
                            out.push(Function::new(context, raw));
                        }
                    }
                }
            }
        });
        out
    }
}

/// The blocks control can pass to from `block`: its terminator's
/// successors (none for a block without one).
///
/// # Safety
/// `block` must be a live basic block.
unsafe fn successors(api: &Api, block: api::BasicBlockRef) -> Vec<api::BasicBlockRef> {
    // SAFETY: reading the terminator of a live block.
    unsafe {
        let terminator = (api.LLVMGetBasicBlockTerminator)(block);
        if terminator.is_null() {
            return Vec::new();
        }
        (0..(api.LLVMGetNumSuccessors)(terminator))
            .map(|i| (api.LLVMGetSuccessor)(terminator, i))
            .collect()
    }
}

/// # Safety
/// `inst` must be a live instruction.
unsafe fn is_call(api: &Api, inst: api::ValueRef) -> bool {
    // SAFETY: classifying a live value.
    unsafe {
        !(api.LLVMIsACallInst)(inst).is_null()
            || !(api.LLVMIsAInvokeInst)(inst).is_null()
            || !(api.LLVMIsACallBrInst)(inst).is_null()
    }
}

impl<'m> CallSite<'m> {
    fn api(&self) -> &'static Api {
        self.context.api
    }

    /// The function called, if the call names one directly (not through a
    /// pointer or an alias).
    pub fn callee(&self) -> Option<Function<'m>> {
        let api = self.api();
        // SAFETY: reading the callee operand of a live call.
        unsafe {
            let callee = (api.LLVMGetCalledValue)(self.raw.as_ptr());
            if callee.is_null() || (api.LLVMIsAFunction)(callee).is_null() {
                return None;
            }
            NonNull::new(callee).map(|raw| Function::new(self.context, raw))
        }
    }

    /// Whether the call is in a loop of its function: its block can be
    /// reached again from itself, so the call may run more than once per
    /// call of the function.
    pub fn in_loop(&self) -> bool {
        let api = self.api();
        // SAFETY: walking the control flow of the call's live function
        // without changing it.
        unsafe {
            let home = (api.LLVMGetInstructionParent)(self.raw.as_ptr());
            let mut seen = std::collections::HashSet::new();
            let mut stack = successors(api, home);
            while let Some(block) = stack.pop() {
                if block == home {
                    return true;
                }
                if seen.insert(block) {
                    stack.extend(successors(api, block));
                }
            }
            false
        }
    }

    /// Whether the call itself carries the attribute `name` (`"noinline"`...).
    pub fn has_enum_attribute(&self, name: &str) -> bool {
        let kind = self.context.enum_kind(name);
        // SAFETY: an unknown name gives kind 0, which no attribute has.
        kind != 0
            && unsafe {
                !(self.api().LLVMGetCallSiteEnumAttribute)(
                    self.raw.as_ptr(),
                    api::FUNCTION_INDEX,
                    kind,
                )
                .is_null()
            }
    }

    /// Adds the attribute `name` to the call (`"noinline"`: no inliner
    /// inlines this call); unknown names are ignored.
    pub fn add_enum_attribute(&self, name: &str) {
        let kind = self.context.enum_kind(name);
        if kind != 0 {
            let attr = self.context.enum_attribute(kind);
            // SAFETY: an attribute of the call's context.
            unsafe {
                (self.api().LLVMAddCallSiteAttribute)(self.raw.as_ptr(), api::FUNCTION_INDEX, attr)
            };
        }
    }

    /// Removes the attribute `name` from the call, if present.
    pub fn remove_enum_attribute(&self, name: &str) {
        let kind = self.context.enum_kind(name);
        if kind != 0 {
            // SAFETY: a valid kind on this call.
            unsafe {
                (self.api().LLVMRemoveCallSiteEnumAttribute)(
                    self.raw.as_ptr(),
                    api::FUNCTION_INDEX,
                    kind,
                )
            };
        }
    }

    /// Whether the call carries the string attribute `key`.
    pub fn has_string_attribute(&self, key: &str) -> bool {
        // SAFETY: key passed with its length.
        unsafe {
            !(self.api().LLVMGetCallSiteStringAttribute)(
                self.raw.as_ptr(),
                api::FUNCTION_INDEX,
                key.as_ptr() as *const c_char,
                key.len() as c_uint,
            )
            .is_null()
        }
    }

    /// Adds the string attribute `key` (empty value) to the call: a mark
    /// that copies of the call made by inlining carry too.
    pub fn add_string_attribute(&self, key: &str) {
        let attr = self.context.string_attribute(key, "");
        // SAFETY: an attribute of the call's context.
        unsafe {
            (self.api().LLVMAddCallSiteAttribute)(self.raw.as_ptr(), api::FUNCTION_INDEX, attr)
        };
    }

    /// Removes the string attribute `key` from the call, if present.
    pub fn remove_string_attribute(&self, key: &str) {
        // SAFETY: key passed with its length.
        unsafe {
            (self.api().LLVMRemoveCallSiteStringAttribute)(
                self.raw.as_ptr(),
                api::FUNCTION_INDEX,
                key.as_ptr() as *const c_char,
                key.len() as c_uint,
            )
        };
    }
}
