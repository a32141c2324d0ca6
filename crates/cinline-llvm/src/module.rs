//! [`Module`] and [`Function`]: an LLVM module and handles to its functions.

use std::collections::{BTreeSet, HashSet};
use std::ffi::{c_char, c_uint, CString};
use std::ptr::{self, NonNull};

use crate::api::{self, Api};
use crate::context::Context;
use crate::global::Global;
use crate::target::TargetMachine;
use crate::{copy_str, take_message, LlvmError};

/// An LLVM module, owned, alive no longer than its [`Context`].
pub struct Module<'ctx> {
    context: &'ctx Context,
    raw: NonNull<api::OpaqueModule>,
}

// `LLVMLinkage` values.
pub(crate) const LINKAGE_EXTERNAL: i32 = 0;
pub(crate) const LINKAGE_AVAILABLE_EXTERNALLY: i32 = 1;
pub(crate) const LINKAGE_LINKONCE_ANY: i32 = 2;
pub(crate) const LINKAGE_LINKONCE_ODR: i32 = 3;
pub(crate) const LINKAGE_WEAK_ANY: i32 = 5;
pub(crate) const LINKAGE_WEAK_ODR: i32 = 6;
pub(crate) const LINKAGE_APPENDING: i32 = 7;
pub(crate) const LINKAGE_INTERNAL: i32 = 8;
pub(crate) const LINKAGE_PRIVATE: i32 = 9;
pub(crate) const LINKAGE_COMMON: i32 = 14;
/// `LLVMHiddenVisibility`.
pub(crate) const VISIBILITY_HIDDEN: i32 = 1;

impl<'ctx> Module<'ctx> {
    /// # Safety
    /// `raw` must be a module created in `context`, owned by nobody else.
    pub(crate) unsafe fn from_raw(context: &'ctx Context, raw: NonNull<api::OpaqueModule>) -> Self {
        Module { context, raw }
    }

    fn api(&self) -> &'static Api {
        self.context.api
    }

    pub(crate) fn context(&self) -> &'ctx Context {
        self.context
    }

    pub(crate) fn as_raw(&self) -> api::ModuleRef {
        self.raw.as_ptr()
    }

    /// The module's target triple.
    pub fn triple(&self) -> String {
        // SAFETY: the module is alive; LLVM owns the returned string.
        unsafe { copy_str((self.api().LLVMGetTarget)(self.as_raw())) }
    }

    /// The module's data layout string.
    pub fn data_layout(&self) -> String {
        // SAFETY: as in `triple`.
        unsafe { copy_str((self.api().LLVMGetDataLayoutStr)(self.as_raw())) }
    }

    /// The integer value of a module flag such as `"PIC Level"`, if set.
    pub fn flag(&self, key: &str) -> Option<u64> {
        let api = self.api();
        let ctx = self.context.raw.as_ptr();
        // SAFETY: the key is passed with its length; the flag's value is
        // `ConstantAsMetadata`, which the C API only turns back into a
        // constant as an operand of a metadata node: so it is wrapped in a
        // (uniqued, harmless) one-operand node whose operand is read back.
        unsafe {
            let mut md =
                (api.LLVMGetModuleFlag)(self.as_raw(), key.as_ptr() as *const c_char, key.len());
            if md.is_null() {
                return None;
            }
            let node = (api.LLVMMDNodeInContext2)(ctx, &mut md, 1);
            let mut operand = ptr::null_mut();
            (api.LLVMGetMDNodeOperands)((api.LLVMMetadataAsValue)(ctx, node), &mut operand);
            let int = (api.LLVMIsAConstantInt)(operand);
            (!int.is_null()).then(|| (api.LLVMConstIntGetZExtValue)(int))
        }
    }

    /// Links `other` into this module. `other` is consumed, as LLVM
    /// destroys it whether or not the link succeeds.
    pub fn link_in(&mut self, other: Module<'ctx>) -> Result<(), LlvmError> {
        let src = other.raw.as_ptr();
        std::mem::forget(other);
        self.context.take_diagnostics();
        // SAFETY: both modules live in the same context; LLVM takes
        // ownership of `src` (hence the `forget` above).
        let failed = unsafe { (self.api().LLVMLinkModules2)(self.as_raw(), src) };
        if failed != 0 {
            return Err(self.context.error("cannot link modules"));
        }
        Ok(())
    }

    /// Checks the module with LLVM's verifier.
    pub fn verify(&self) -> Result<(), LlvmError> {
        let mut message = ptr::null_mut();
        // SAFETY: `message` receives a string we own and free.
        let broken = unsafe {
            let broken = (self.api().LLVMVerifyModule)(
                self.as_raw(),
                api::RETURN_STATUS_ACTION,
                &mut message,
            );
            let text = take_message(self.api(), message);
            (broken != 0).then_some(text)
        };
        match broken {
            Some(text) => Err(LlvmError(text.trim().to_string())),
            None => Ok(()),
        }
    }

    /// Runs a new-pass-manager pipeline (`"default<O2>"`,
    /// `"always-inline,globaldce"`...) with `machine` for target information.
    pub fn run_passes(&mut self, pipeline: &str, machine: &TargetMachine) -> Result<(), LlvmError> {
        // SAFETY: the module is alive and exclusively borrowed.
        unsafe {
            run_pipeline(self.api(), pipeline, machine, |p, tm, o| {
                (self.api().LLVMRunPasses)(self.as_raw(), p, tm, o)
            })
        }
    }

    /// A new module in the same context with nothing in it but this one's
    /// target triple and data layout: it makes an empty object.
    pub fn empty_like(&self) -> Result<Module<'ctx>, LlvmError> {
        let ir = format!(
            "target datalayout = \"{}\"\ntarget triple = \"{}\"\n",
            self.data_layout(),
            self.triple()
        );
        self.context().parse_ir(&ir, "empty")
    }

    /// Turns the `available_externally` definitions into declarations and
    /// removes the local definitions and the declarations nothing uses any
    /// more (`elim-avail-extern,globaldce`, which need no particular CPU).
    pub fn drop_available_externally(&mut self) -> Result<(), LlvmError> {
        let machine = self.context().target_machine(&crate::TargetSpec {
            triple: &self.triple(),
            cpu: "",
            features: "",
            opt: crate::OptLevel::None,
            reloc: crate::RelocModel::Default,
            code_model: crate::CodeModel::Default,
        })?;
        self.run_passes("elim-avail-extern,globaldce", &machine)
    }

    /// The module serialised as bitcode.
    pub fn to_bitcode(&self) -> Vec<u8> {
        let api = self.api();
        // SAFETY: the buffer is copied out, then disposed.
        unsafe {
            let buffer = (api.LLVMWriteBitcodeToMemoryBuffer)(self.as_raw());
            let bytes = buffer_bytes(api, buffer).to_vec();
            (api.LLVMDisposeMemoryBuffer)(buffer);
            bytes
        }
    }

    /// Every function of the module, definitions and declarations.
    pub fn functions(&self) -> Vec<Function<'_>> {
        let api = self.api();
        let mut out = Vec::new();
        // SAFETY: iterating the module's function list without changing it.
        let mut f = unsafe { (api.LLVMGetFirstFunction)(self.as_raw()) };
        while let Some(raw) = NonNull::new(f) {
            out.push(Function::new(self.context, raw));
            // SAFETY: `raw` is a function of this module.
            f = unsafe { (api.LLVMGetNextFunction)(raw.as_ptr()) };
        }
        out
    }

    /// The function named `name`, if the module has one.
    pub fn function(&self, name: &str) -> Option<Function<'_>> {
        self.functions().into_iter().find(|f| f.name() == name)
    }

    /// Whether the module defines an ifunc (a symbol resolved at load time
    /// by a function of its own).
    pub fn has_ifuncs(&self) -> bool {
        // SAFETY: reads the head of the module's ifunc list.
        unsafe { !(self.api().LLVMGetFirstGlobalIFunc)(self.as_raw()).is_null() }
    }

    /// Names of the symbols this module defines with a linkage visible to
    /// other modules: functions, global variables and aliases. Sorted.
    pub fn defined_symbols(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.for_each_global_value(|api, value| {
            // SAFETY: `value` is a global value of this module.
            let (declaration, linkage) =
                unsafe { ((api.LLVMIsDeclaration)(value), (api.LLVMGetLinkage)(value)) };
            if declaration == 0 && linkage != LINKAGE_INTERNAL && linkage != LINKAGE_PRIVATE {
                // SAFETY: as above.
                out.insert(unsafe { value_name(api, value) });
            }
        });
        out
    }

    /// Gives internal linkage to every defined global value whose name is in
    /// `names` — what `llvm-link --internalize` does to the symbols it links
    /// in — and returns how many were changed.
    pub fn internalize(&mut self, names: &HashSet<String>) -> usize {
        let mut changed = 0;
        self.for_each_global_value(|api, value| {
            // SAFETY: `value` is a global value of this module; internal
            // linkage requires no comdat and default visibility, so both are
            // cleared too.
            unsafe {
                if (api.LLVMIsDeclaration)(value) == 0 && names.contains(&value_name(api, value)) {
                    (api.LLVMSetComdat)(value, ptr::null_mut());
                    (api.LLVMSetLinkage)(value, LINKAGE_INTERNAL);
                    (api.LLVMSetVisibility)(value, 0);
                    changed += 1;
                }
            }
        });
        changed
    }

    pub(crate) fn for_each_global_value(&self, mut visit: impl FnMut(&'static Api, api::ValueRef)) {
        let api = self.api();
        type First = unsafe extern "C" fn(api::ModuleRef) -> api::ValueRef;
        type Next = unsafe extern "C" fn(api::ValueRef) -> api::ValueRef;
        let lists: [(First, Next); 3] = [
            (api.LLVMGetFirstFunction, api.LLVMGetNextFunction),
            (api.LLVMGetFirstGlobal, api.LLVMGetNextGlobal),
            (api.LLVMGetFirstGlobalAlias, api.LLVMGetNextGlobalAlias),
        ];
        for (first, next) in lists {
            // SAFETY: walking one of the module's global lists; `visit`
            // changes attributes of the values, never the lists.
            let mut value = unsafe { first(self.as_raw()) };
            while !value.is_null() {
                visit(api, value);
                // SAFETY: `value` belongs to this list.
                value = unsafe { next(value) };
            }
        }
    }
}

impl Drop for Module<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the module.
        unsafe { (self.api().LLVMDisposeModule)(self.as_raw()) };
    }
}

/// A function of a [`Module`], borrowed from it.
///
/// Attribute changes go through `&self`: like every LLVM handle this is a
/// reference into the module, which is neither `Send` nor `Sync`.
#[derive(Clone, Copy)]
pub struct Function<'m> {
    /// The function as a global of its module: name, linkage, uses.
    global: Global<'m>,
}

impl<'m> Function<'m> {
    pub(crate) fn new(context: &'m Context, raw: NonNull<api::OpaqueValue>) -> Self {
        Function {
            global: Global::new(context, raw),
        }
    }

    fn api(&self) -> &'static Api {
        self.global.context.api
    }

    /// The function as a global of its module (linkage, who uses it).
    pub fn as_global(&self) -> &Global<'m> {
        &self.global
    }

    /// The function's symbol name.
    pub fn name(&self) -> String {
        self.global.name()
    }

    /// Whether the module only declares the function.
    pub fn is_declaration(&self) -> bool {
        self.global.is_declaration()
    }

    /// The function's type as LLVM prints it (`{ double, double } (double,
    /// double)`). Types are unique within a context: two functions of one
    /// context have the same type exactly when these are equal.
    pub fn type_text(&self) -> String {
        let api = self.api();
        // SAFETY: the function is alive while its module is borrowed; the
        // printed string is LLVM's, copied and freed by `take_message`.
        unsafe {
            let ty = (api.LLVMGlobalGetValueType)(self.global.raw.as_ptr());
            take_message(api, (api.LLVMPrintTypeToString)(ty))
        }
    }

    /// The value of the string attribute `key` (`"target-features"`...).
    pub fn string_attribute(&self, key: &str) -> Option<String> {
        let api = self.api();
        // SAFETY: key passed with its length; the value is copied out.
        unsafe {
            let attr = (api.LLVMGetStringAttributeAtIndex)(
                self.global.raw.as_ptr(),
                api::FUNCTION_INDEX,
                key.as_ptr() as *const c_char,
                key.len() as c_uint,
            );
            if attr.is_null() {
                return None;
            }
            let mut len = 0;
            let value = (api.LLVMGetStringAttributeValue)(attr, &mut len);
            let bytes = if value.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(value as *const u8, len as usize)
            };
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }

    /// Sets the string attribute `key` to `value`, replacing any old value.
    pub fn set_string_attribute(&self, key: &str, value: &str) {
        let attr = self.global.context.string_attribute(key, value);
        // SAFETY: an attribute of the function's context.
        unsafe {
            (self.api().LLVMAddAttributeAtIndex)(
                self.global.raw.as_ptr(),
                api::FUNCTION_INDEX,
                attr,
            )
        };
    }

    /// Removes the string attribute `key`, if present.
    pub fn remove_string_attribute(&self, key: &str) {
        // SAFETY: key passed with its length.
        unsafe {
            (self.api().LLVMRemoveStringAttributeAtIndex)(
                self.global.raw.as_ptr(),
                api::FUNCTION_INDEX,
                key.as_ptr() as *const c_char,
                key.len() as c_uint,
            )
        };
    }

    /// Whether the function has the attribute `name` (`"noinline"`,
    /// `"optnone"`, `"alwaysinline"`...).
    pub fn has_enum_attribute(&self, name: &str) -> bool {
        let kind = self.global.context.enum_kind(name);
        // SAFETY: an unknown name gives kind 0, which no attribute has.
        kind != 0
            && unsafe {
                !(self.api().LLVMGetEnumAttributeAtIndex)(
                    self.global.raw.as_ptr(),
                    api::FUNCTION_INDEX,
                    kind,
                )
                .is_null()
            }
    }

    /// Adds the attribute `name` (`"alwaysinline"`...); unknown names are
    /// ignored.
    pub fn add_enum_attribute(&self, name: &str) {
        let kind = self.global.context.enum_kind(name);
        if kind != 0 {
            let attr = self.global.context.enum_attribute(kind);
            // SAFETY: an attribute of the function's context.
            unsafe {
                (self.api().LLVMAddAttributeAtIndex)(
                    self.global.raw.as_ptr(),
                    api::FUNCTION_INDEX,
                    attr,
                );
            }
        }
    }

    /// Every string attribute of the function, as `(key, value)` pairs.
    pub fn string_attributes(&self) -> Vec<(String, String)> {
        let api = self.api();
        // SAFETY: the attribute array is sized by LLVM's count; keys and
        // values are copied out with their lengths.
        unsafe {
            let count =
                (api.LLVMGetAttributeCountAtIndex)(self.global.raw.as_ptr(), api::FUNCTION_INDEX);
            let mut attrs = vec![ptr::null_mut(); count as usize];
            (api.LLVMGetAttributesAtIndex)(
                self.global.raw.as_ptr(),
                api::FUNCTION_INDEX,
                attrs.as_mut_ptr(),
            );
            let text = |p: *const c_char, len: c_uint| {
                if p.is_null() {
                    String::new()
                } else {
                    String::from_utf8_lossy(std::slice::from_raw_parts(
                        p as *const u8,
                        len as usize,
                    ))
                    .into_owned()
                }
            };
            attrs
                .into_iter()
                .filter(|a| (api.LLVMIsStringAttribute)(*a) != 0)
                .map(|a| {
                    let (mut klen, mut vlen) = (0, 0);
                    let key = (api.LLVMGetStringAttributeKind)(a, &mut klen);
                    let value = (api.LLVMGetStringAttributeValue)(a, &mut vlen);
                    (text(key, klen), text(value, vlen))
                })
                .collect()
        }
    }

    /// Removes the attribute `name`, if present.
    pub fn remove_enum_attribute(&self, name: &str) {
        let kind = self.global.context.enum_kind(name);
        if kind != 0 {
            // SAFETY: a valid kind on this function.
            unsafe {
                (self.api().LLVMRemoveEnumAttributeAtIndex)(
                    self.global.raw.as_ptr(),
                    api::FUNCTION_INDEX,
                    kind,
                )
            };
        }
    }

    /// The functions that call this one directly (`call`, `invoke` or
    /// `callbr` with this function as callee), each once, in module order
    /// of first use.
    pub fn callers(&self) -> Vec<Function<'m>> {
        let api = self.api();
        let mut out: Vec<Function<'m>> = Vec::new();
        self.for_each_call(|call| {
            // SAFETY: `call` is a live call instruction of this module.
            let caller = unsafe {
                let block = (api.LLVMGetInstructionParent)(call);
                NonNull::new((api.LLVMGetBasicBlockParent)(block))
            };
            if let Some(caller) = caller {
                if !out.iter().any(|f| f.global.raw == caller) {
                    out.push(Function::new(self.global.context, caller));
                }
            }
        });
        out
    }

    /// How many call sites call this function.
    pub fn call_count(&self) -> usize {
        let mut count = 0;
        self.for_each_call(|_| count += 1);
        count
    }

    /// Whether the function is used other than as the callee of a `call`,
    /// `invoke` or `callbr`: its address is taken (stored, passed, returned,
    /// compared), so calls may reach it through a pointer.
    pub fn address_taken(&self) -> bool {
        let mut taken = false;
        self.for_each_use(|_, is_call| taken |= !is_call);
        taken
    }

    /// Visits each call, invoke or callbr instruction that calls this
    /// function (not those that only pass it as an argument).
    fn for_each_call(&self, mut visit: impl FnMut(api::ValueRef)) {
        self.for_each_use(|user, is_call| {
            if is_call {
                visit(user);
            }
        });
    }

    /// Visits each user of this function, saying whether it is a call,
    /// invoke or callbr instruction with this function as its callee.
    fn for_each_use(&self, mut visit: impl FnMut(api::ValueRef, bool)) {
        let api = self.api();
        // SAFETY: walking the use list of a live function without changing
        // the IR; each user is classified before the callee is read.
        unsafe {
            let mut u = (api.LLVMGetFirstUse)(self.global.raw.as_ptr());
            while !u.is_null() {
                let user = (api.LLVMGetUser)(u);
                let is_call = !(api.LLVMIsACallInst)(user).is_null()
                    || !(api.LLVMIsAInvokeInst)(user).is_null()
                    || !(api.LLVMIsACallBrInst)(user).is_null();
                visit(
                    user,
                    is_call && (api.LLVMGetCalledValue)(user) == self.global.raw.as_ptr(),
                );
                u = (api.LLVMGetNextUse)(u);
            }
        }
    }

    /// Runs a function pipeline (`"sroa,instcombine"`, no `function(...)`
    /// wrapper) on this function only.
    pub fn run_passes(&self, pipeline: &str, machine: &TargetMachine) -> Result<(), LlvmError> {
        // SAFETY: the function is alive while its module is borrowed.
        unsafe {
            run_pipeline(self.api(), pipeline, machine, |p, tm, o| {
                (self.api().LLVMRunPassesOnFunction)(self.global.raw.as_ptr(), p, tm, o)
            })
        }
    }

    /// The number of IR instructions in the body (0 for a declaration): a
    /// rough size, for telling why a call was not inlined.
    pub fn instruction_count(&self) -> usize {
        let mut count = 0;
        self.for_each_instruction(|_| count += 1);
        count
    }

    /// Visits each instruction of the body, block by block, in order
    /// (none for a declaration). `visit` must not change the IR.
    pub(crate) fn for_each_instruction(&self, mut visit: impl FnMut(api::ValueRef)) {
        let api = self.api();
        // SAFETY: walking blocks and instructions of a live function; the
        // visitor only reads them.
        unsafe {
            let mut block = (api.LLVMGetFirstBasicBlock)(self.global.raw.as_ptr());
            while !block.is_null() {
                let mut inst = (api.LLVMGetFirstInstruction)(block);
                while !inst.is_null() {
                    visit(inst);
                    inst = (api.LLVMGetNextInstruction)(inst);
                }
                block = (api.LLVMGetNextBasicBlock)(block);
            }
        }
    }
}

/// Runs `pipeline` through `run` (`LLVMRunPasses` or
/// `LLVMRunPassesOnFunction`) with fresh pass-builder options, turning
/// LLVM's error into an [`LlvmError`].
///
/// # Safety
/// `run` must call a pass-running entry point on a live module or function.
unsafe fn run_pipeline(
    api: &Api,
    pipeline: &str,
    machine: &TargetMachine,
    run: impl FnOnce(*const c_char, api::TargetMachineRef, api::PassBuilderOptionsRef) -> api::ErrorRef,
) -> Result<(), LlvmError> {
    let pipeline = CString::new(pipeline).map_err(|_| LlvmError("pipeline contains NUL".into()))?;
    // SAFETY: options are created and disposed here; the error, if any, is
    // converted to a message we free.
    unsafe {
        let options = (api.LLVMCreatePassBuilderOptions)();
        let error = run(pipeline.as_ptr(), machine.as_raw(), options);
        (api.LLVMDisposePassBuilderOptions)(options);
        if error.is_null() {
            return Ok(());
        }
        let message = (api.LLVMGetErrorMessage)(error);
        let text = copy_str(message);
        (api.LLVMDisposeErrorMessage)(message);
        Err(LlvmError(text))
    }
}

/// # Safety
/// `value` must be a live LLVM value.
pub(crate) unsafe fn value_name(api: &Api, value: api::ValueRef) -> String {
    let mut len = 0;
    // SAFETY: LLVM returns a pointer to `len` bytes owned by the value.
    unsafe {
        let name = (api.LLVMGetValueName2)(value, &mut len);
        if name.is_null() {
            return String::new();
        }
        String::from_utf8_lossy(std::slice::from_raw_parts(name as *const u8, len)).into_owned()
    }
}

/// # Safety
/// `buffer` must be a live memory buffer; the slice must not outlive it.
pub(crate) unsafe fn buffer_bytes<'a>(api: &Api, buffer: api::MemoryBufferRef) -> &'a [u8] {
    // SAFETY: start and size describe the buffer's bytes.
    unsafe {
        let start = (api.LLVMGetBufferStart)(buffer) as *const u8;
        let size = (api.LLVMGetBufferSize)(buffer);
        if start.is_null() || size == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(start, size)
        }
    }
}
