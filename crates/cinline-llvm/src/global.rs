//! [`Global`]: a handle to a function, global variable or alias of a
//! [`Module`], with what cinline's rule for C state needs: linkage, whether
//! a variable is mutable, and which globals use it.

use std::collections::HashSet;
use std::ffi::CString;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crate::api::{self, Api};
use crate::context::Context;
use crate::module::{
    value_name, Function, Module, LINKAGE_APPENDING, LINKAGE_AVAILABLE_EXTERNALLY,
    LINKAGE_EXTERNAL, LINKAGE_INTERNAL, LINKAGE_LINKONCE_ANY, LINKAGE_LINKONCE_ODR,
    LINKAGE_PRIVATE, LINKAGE_WEAK_ANY, LINKAGE_WEAK_ODR, VISIBILITY_HIDDEN,
};

/// What a [`Global`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalKind {
    /// A function.
    Function,
    /// A global variable.
    Variable,
    /// An alias (or ifunc).
    Alias,
}

/// How a symbol is seen outside its module, in the distinctions cinline
/// acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// `external`: one definition in the program.
    External,
    /// `linkonce_odr`, `weak_odr`: several identical definitions, one kept.
    Odr,
    /// `available_externally`: a copy of a definition that lives elsewhere.
    AvailableExternally,
    /// `internal`, `private`: visible only inside the module.
    Local,
    /// `appending` (`llvm.used`, `llvm.global_ctors`...).
    Appending,
    /// `weak`, `linkonce`, `common`, `extern_weak`: the definition the
    /// program ends up with may be another one.
    Interposable,
}

/// A function, global variable or alias of a [`Module`], borrowed from it.
/// Changes go through `&self`, as for [`Function`].
#[derive(Clone, Copy)]
pub struct Global<'m> {
    pub(crate) context: &'m Context,
    pub(crate) raw: NonNull<api::OpaqueValue>,
    _module: PhantomData<&'m Module<'m>>,
}

impl PartialEq for Global<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Eq for Global<'_> {}

impl std::hash::Hash for Global<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}

impl<'ctx> Module<'ctx> {
    /// Every function, global variable and alias of the module, in that
    /// order, definitions and declarations.
    pub fn globals(&self) -> Vec<Global<'_>> {
        let mut out = Vec::new();
        self.for_each_global_value(|_, value| {
            if let Some(raw) = NonNull::new(value) {
                out.push(Global::new(self.context(), raw));
            }
        });
        out
    }

    /// Deletes the global variable `name` (`llvm.global_ctors`...) and
    /// returns whether there was one. Its initializer's references go with
    /// it; nothing may use the variable itself.
    pub fn remove_global_variable(&mut self, name: &str) -> bool {
        let Ok(c_name) = CString::new(name) else {
            return false;
        };
        let api = self.context().api;
        // SAFETY: the module is alive and borrowed mutably; the variable is
        // deleted only when nothing uses it, so no dangling use remains.
        unsafe {
            let var = (api.LLVMGetNamedGlobal)(self.as_raw(), c_name.as_ptr());
            if var.is_null() || !(api.LLVMGetFirstUse)(var).is_null() {
                return false;
            }
            (api.LLVMDeleteGlobal)(var);
        }
        true
    }
}

impl<'m> Global<'m> {
    pub(crate) fn new(context: &'m Context, raw: NonNull<api::OpaqueValue>) -> Self {
        Global {
            context,
            raw,
            _module: PhantomData,
        }
    }

    fn api(&self) -> &'static Api {
        self.context.api
    }

    /// The symbol name (empty for unnamed globals).
    pub fn name(&self) -> String {
        // SAFETY: the global is alive while its module is borrowed.
        unsafe { value_name(self.api(), self.raw.as_ptr()) }
    }

    /// Function, variable or alias.
    pub fn kind(&self) -> GlobalKind {
        // SAFETY: as in `name`.
        unsafe {
            if !(self.api().LLVMIsAFunction)(self.raw.as_ptr()).is_null() {
                GlobalKind::Function
            } else if !(self.api().LLVMIsAGlobalVariable)(self.raw.as_ptr()).is_null() {
                GlobalKind::Variable
            } else {
                GlobalKind::Alias
            }
        }
    }

    /// The function this global is, if it is one.
    pub fn as_function(&self) -> Option<Function<'m>> {
        (self.kind() == GlobalKind::Function).then(|| Function::new(self.context, self.raw))
    }

    /// Whether the module only declares it.
    pub fn is_declaration(&self) -> bool {
        // SAFETY: as in `name`.
        unsafe { (self.api().LLVMIsDeclaration)(self.raw.as_ptr()) != 0 }
    }

    /// Its linkage.
    pub fn linkage(&self) -> Linkage {
        // SAFETY: as in `name`.
        match unsafe { (self.api().LLVMGetLinkage)(self.raw.as_ptr()) } {
            LINKAGE_EXTERNAL => Linkage::External,
            LINKAGE_LINKONCE_ODR | LINKAGE_WEAK_ODR => Linkage::Odr,
            LINKAGE_AVAILABLE_EXTERNALLY => Linkage::AvailableExternally,
            LINKAGE_INTERNAL | LINKAGE_PRIVATE => Linkage::Local,
            LINKAGE_APPENDING => Linkage::Appending,
            _ => Linkage::Interposable,
        }
    }

    /// Whether this is a global variable the program may write: not
    /// `constant` (a C `const` object or a literal).
    pub fn is_mutable_variable(&self) -> bool {
        self.kind() == GlobalKind::Variable
            // SAFETY: `self` is a global variable of a live module.
            && unsafe { (self.api().LLVMIsGlobalConstant)(self.raw.as_ptr()) == 0 }
    }

    /// Marks a global variable as writable: LLVM then never folds a read of
    /// it to its initializer.
    pub fn set_mutable(&self) {
        if self.kind() == GlobalKind::Variable {
            // SAFETY: `self` is a global variable of a live module.
            unsafe { (self.api().LLVMSetGlobalConstant)(self.raw.as_ptr(), 0) };
        }
    }

    /// Makes a defined function or variable `available_externally`: its
    /// body or initializer stays for the optimizer (a function can be
    /// inlined), but no code or data is emitted for it and every remaining
    /// reference goes to the one definition elsewhere in the program.
    /// Returns false (and changes nothing) for declarations and aliases,
    /// which cannot have that linkage.
    pub fn set_available_externally(&self) -> bool {
        if self.is_declaration() || self.kind() == GlobalKind::Alias {
            return false;
        }
        // SAFETY: a defined function or variable of a live module; an
        // `available_externally` global may not be in a comdat, so that is
        // cleared first.
        unsafe {
            (self.api().LLVMSetComdat)(self.raw.as_ptr(), ptr::null_mut());
            (self.api().LLVMSetLinkage)(self.raw.as_ptr(), LINKAGE_AVAILABLE_EXTERNALLY);
        }
        true
    }

    /// Renames a local (`static`) function or variable to `name` and makes
    /// it global with hidden visibility: still one definition, in the
    /// object generated from this module, but now one that code inlined
    /// into other modules of the same link can refer to (ThinLTO's
    /// promotion of locals). False for anything not local.
    pub fn promote(&self, name: &str) -> bool {
        if self.linkage() != Linkage::Local || self.is_declaration() {
            return false;
        }
        // SAFETY: a defined global of a live module; LLVM copies the name
        // (making it unique in the module if it is taken).
        unsafe {
            (self.api().LLVMSetValueName2)(self.raw.as_ptr(), name.as_ptr().cast(), name.len());
            (self.api().LLVMSetLinkage)(self.raw.as_ptr(), LINKAGE_EXTERNAL);
            (self.api().LLVMSetVisibility)(self.raw.as_ptr(), VISIBILITY_HIDDEN);
        }
        true
    }

    /// Whether it has hidden visibility: seen by the objects of its own
    /// link only (rustc gives it to what it makes global only for its other
    /// codegen units).
    pub fn is_hidden(&self) -> bool {
        // SAFETY: reading the visibility of a live global.
        unsafe { (self.api().LLVMGetVisibility)(self.raw.as_ptr()) == VISIBILITY_HIDDEN }
    }

    /// Whether it belongs to a comdat: a group of sections the linker keeps
    /// or drops whole.
    pub fn in_comdat(&self) -> bool {
        // SAFETY: as in `name`; functions, variables and aliases are all
        // global objects or values, for which LLVM answers null or a comdat.
        self.kind() != GlobalKind::Alias
            && unsafe { !(self.api().LLVMGetComdat)(self.raw.as_ptr()).is_null() }
    }

    /// Makes a `linkonce` or `linkonce_odr` definition `weak` or `weak_odr`:
    /// the same symbol, but one that optimization no longer drops where
    /// nothing in its own module refers to it (code in another object
    /// does). False (and nothing changed) for any other linkage.
    pub fn keep_unreferenced(&self) -> bool {
        // SAFETY: as in `name`.
        unsafe {
            let kept = match (self.api().LLVMGetLinkage)(self.raw.as_ptr()) {
                LINKAGE_LINKONCE_ODR => LINKAGE_WEAK_ODR,
                LINKAGE_LINKONCE_ANY => LINKAGE_WEAK_ANY,
                _ => return false,
            };
            (self.api().LLVMSetLinkage)(self.raw.as_ptr(), kept);
        }
        true
    }

    /// Whether a `blockaddress` constant refers to this function: the
    /// address of one of its blocks, meaningless outside the object that
    /// holds its body.
    pub fn has_block_address(&self) -> bool {
        let api = self.api();
        // SAFETY: walking the use list of a live value without changing it.
        unsafe {
            let mut u = (api.LLVMGetFirstUse)(self.raw.as_ptr());
            while !u.is_null() {
                if !(api.LLVMIsABlockAddress)((api.LLVMGetUser)(u)).is_null() {
                    return true;
                }
                u = (api.LLVMGetNextUse)(u);
            }
        }
        false
    }

    /// The globals whose definition refers to this one: functions with an
    /// instruction using it, variables whose initializer holds its address,
    /// aliases of it; through any number of constant expressions. Each
    /// once, in use-list order.
    pub fn users(&self) -> Vec<Global<'m>> {
        let api = self.api();
        let mut out: Vec<Global<'m>> = Vec::new();
        let mut seen_constants = HashSet::new();
        let mut pending = vec![self.raw.as_ptr()];
        while let Some(value) = pending.pop() {
            // SAFETY: walking use lists of live values without changing the
            // IR; each user is classified before it is followed.
            unsafe {
                let mut u = (api.LLVMGetFirstUse)(value);
                while !u.is_null() {
                    let user = (api.LLVMGetUser)(u);
                    let owner = if !(api.LLVMIsAInstruction)(user).is_null() {
                        let block = (api.LLVMGetInstructionParent)(user);
                        if block.is_null() {
                            ptr::null_mut()
                        } else {
                            (api.LLVMGetBasicBlockParent)(block)
                        }
                    } else if !(api.LLVMIsAGlobalValue)(user).is_null() {
                        user
                    } else {
                        // A constant (expression, aggregate): follow its users.
                        if seen_constants.insert(user) {
                            pending.push(user);
                        }
                        ptr::null_mut()
                    };
                    if let Some(owner) = NonNull::new(owner) {
                        if !out.iter().any(|g| g.raw == owner) {
                            out.push(Global::new(self.context, owner));
                        }
                    }
                    u = (api.LLVMGetNextUse)(u);
                }
            }
        }
        out
    }
}
