//! The raw LLVM C API: the function table resolved from a loaded libLLVM.
//!
//! This is the only file that names C signatures. Each entry is resolved by
//! name with `dlsym` when the library is loaded, so a libLLVM lacking one of
//! them is refused at load time with the missing name, never at a call.

use std::ffi::{c_char, c_int, c_uint, c_void};

use libloading::Library;

/// `LLVMBool`: 0 is false, anything else true.
pub type Bool = c_int;

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}
opaque!(
    OpaqueContext,
    OpaqueModule,
    OpaqueValue,
    OpaqueUse,
    OpaqueBasicBlock,
    OpaqueMemoryBuffer,
    OpaqueAttribute,
    OpaqueDiagnosticInfo,
    OpaqueTarget,
    OpaqueTargetMachine,
    OpaquePassBuilderOptions,
    OpaqueError,
    OpaqueMetadata,
    OpaqueType
);

pub type ContextRef = *mut OpaqueContext;
pub type ModuleRef = *mut OpaqueModule;
pub type ValueRef = *mut OpaqueValue;
pub type UseRef = *mut OpaqueUse;
pub type BasicBlockRef = *mut OpaqueBasicBlock;
pub type MemoryBufferRef = *mut OpaqueMemoryBuffer;
pub type AttributeRef = *mut OpaqueAttribute;
pub type DiagnosticInfoRef = *mut OpaqueDiagnosticInfo;
pub type TargetRef = *mut OpaqueTarget;
pub type TargetMachineRef = *mut OpaqueTargetMachine;
pub type PassBuilderOptionsRef = *mut OpaquePassBuilderOptions;
pub type ErrorRef = *mut OpaqueError;
pub type MetadataRef = *mut OpaqueMetadata;
pub type TypeRef = *mut OpaqueType;
pub type DiagnosticHandler = unsafe extern "C" fn(DiagnosticInfoRef, *mut c_void);

/// `LLVMAttributeFunctionIndex`.
pub const FUNCTION_INDEX: c_uint = !0;
/// `LLVMReturnStatusAction` for `LLVMVerifyModule`.
pub const RETURN_STATUS_ACTION: c_int = 2;
/// `LLVMObjectFile` for `LLVMTargetMachineEmitToMemoryBuffer`.
pub const OBJECT_FILE: c_int = 1;
/// `LLVMDSError`.
pub const DIAGNOSTIC_ERROR: c_int = 0;

macro_rules! api {
    ($($name:ident: fn($($arg:ty),* $(,)?) $(-> $ret:ty)?;)*) => {
        /// Pointers to the LLVM C functions cinline calls.
        #[allow(non_snake_case)]
        pub struct Api {
            $(pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            /// Resolves every entry of the table in `lib`.
            ///
            /// # Safety
            /// `lib` must be a libLLVM whose exported symbols have the C API
            /// signatures declared here (LLVM 16 or newer), and must outlive
            /// the returned table.
            pub unsafe fn resolve(lib: &Library) -> Result<Self, String> {
                Ok(Api {
                    $($name: {
                        let name = concat!(stringify!($name), "\0");
                        // SAFETY: the caller guarantees the symbol has this signature.
                        let symbol = unsafe { lib.get(name.as_bytes()) };
                        *symbol.map_err(|_| stringify!($name).to_string())?
                    },)*
                })
            }
        }
    };
}

api! {
    LLVMGetVersion: fn(*mut c_uint, *mut c_uint, *mut c_uint);
    LLVMDisposeMessage: fn(*mut c_char);
    LLVMGlobalGetValueType: fn(ValueRef) -> TypeRef;
    LLVMPrintTypeToString: fn(TypeRef) -> *mut c_char;
    LLVMContextCreate: fn() -> ContextRef;
    LLVMContextDispose: fn(ContextRef);
    LLVMContextSetDiagnosticHandler: fn(ContextRef, Option<DiagnosticHandler>, *mut c_void);
    LLVMGetDiagInfoDescription: fn(DiagnosticInfoRef) -> *mut c_char;
    LLVMGetDiagInfoSeverity: fn(DiagnosticInfoRef) -> c_int;
    LLVMCreateMemoryBufferWithMemoryRange: fn(*const c_char, usize, *const c_char, Bool) -> MemoryBufferRef;
    LLVMDisposeMemoryBuffer: fn(MemoryBufferRef);
    LLVMGetBufferStart: fn(MemoryBufferRef) -> *const c_char;
    LLVMGetBufferSize: fn(MemoryBufferRef) -> usize;
    LLVMParseBitcodeInContext2: fn(ContextRef, MemoryBufferRef, *mut ModuleRef) -> Bool;
    LLVMWriteBitcodeToMemoryBuffer: fn(ModuleRef) -> MemoryBufferRef;
    LLVMDisposeModule: fn(ModuleRef);
    LLVMLinkModules2: fn(ModuleRef, ModuleRef) -> Bool;
    LLVMGetTarget: fn(ModuleRef) -> *const c_char;
    LLVMGetDataLayoutStr: fn(ModuleRef) -> *const c_char;
    LLVMGetModuleFlag: fn(ModuleRef, *const c_char, usize) -> MetadataRef;
    LLVMMetadataAsValue: fn(ContextRef, MetadataRef) -> ValueRef;
    LLVMMDNodeInContext2: fn(ContextRef, *mut MetadataRef, usize) -> MetadataRef;
    LLVMGetMDNodeOperands: fn(ValueRef, *mut ValueRef);
    LLVMIsAConstantInt: fn(ValueRef) -> ValueRef;
    LLVMConstIntGetZExtValue: fn(ValueRef) -> u64;
    LLVMVerifyModule: fn(ModuleRef, c_int, *mut *mut c_char) -> Bool;
    LLVMGetFirstFunction: fn(ModuleRef) -> ValueRef;
    LLVMGetNextFunction: fn(ValueRef) -> ValueRef;
    LLVMGetFirstGlobal: fn(ModuleRef) -> ValueRef;
    LLVMGetNextGlobal: fn(ValueRef) -> ValueRef;
    LLVMGetFirstGlobalAlias: fn(ModuleRef) -> ValueRef;
    LLVMGetNextGlobalAlias: fn(ValueRef) -> ValueRef;
    LLVMGetFirstGlobalIFunc: fn(ModuleRef) -> ValueRef;
    LLVMGetValueName2: fn(ValueRef, *mut usize) -> *const c_char;
    LLVMSetValueName2: fn(ValueRef, *const c_char, usize);
    LLVMIsDeclaration: fn(ValueRef) -> Bool;
    LLVMGetLinkage: fn(ValueRef) -> c_int;
    LLVMSetLinkage: fn(ValueRef, c_int);
    LLVMSetVisibility: fn(ValueRef, c_int);
    LLVMGetVisibility: fn(ValueRef) -> c_int;
    LLVMSetComdat: fn(ValueRef, *mut c_void);
    LLVMGetComdat: fn(ValueRef) -> *mut c_void;
    LLVMGetSection: fn(ValueRef) -> *const c_char;
    LLVMGetInitializer: fn(ValueRef) -> ValueRef;
    LLVMIsGlobalConstant: fn(ValueRef) -> Bool;
    LLVMIsThreadLocal: fn(ValueRef) -> Bool;
    LLVMIsNull: fn(ValueRef) -> Bool;
    LLVMGetNumOperands: fn(ValueRef) -> c_int;
    LLVMGetOperand: fn(ValueRef, c_uint) -> ValueRef;
    LLVMIsAGlobalValue: fn(ValueRef) -> ValueRef;
    LLVMIsABlockAddress: fn(ValueRef) -> ValueRef;
    LLVMIsAFunction: fn(ValueRef) -> ValueRef;
    LLVMIsAGlobalVariable: fn(ValueRef) -> ValueRef;
    LLVMIsAInstruction: fn(ValueRef) -> ValueRef;
    LLVMSetGlobalConstant: fn(ValueRef, Bool);
    LLVMGetNamedGlobal: fn(ModuleRef, *const c_char) -> ValueRef;
    LLVMDeleteGlobal: fn(ValueRef);
    LLVMSetSection: fn(ValueRef, *const c_char);
    LLVMGetStringAttributeAtIndex: fn(ValueRef, c_uint, *const c_char, c_uint) -> AttributeRef;
    LLVMGetStringAttributeValue: fn(AttributeRef, *mut c_uint) -> *const c_char;
    LLVMRemoveStringAttributeAtIndex: fn(ValueRef, c_uint, *const c_char, c_uint);
    LLVMCreateStringAttribute: fn(ContextRef, *const c_char, c_uint, *const c_char, c_uint) -> AttributeRef;
    LLVMAddAttributeAtIndex: fn(ValueRef, c_uint, AttributeRef);
    LLVMGetEnumAttributeKindForName: fn(*const c_char, usize) -> c_uint;
    LLVMCreateEnumAttribute: fn(ContextRef, c_uint, u64) -> AttributeRef;
    LLVMGetAttributeCountAtIndex: fn(ValueRef, c_uint) -> c_uint;
    LLVMGetAttributesAtIndex: fn(ValueRef, c_uint, *mut AttributeRef);
    LLVMIsStringAttribute: fn(AttributeRef) -> Bool;
    LLVMGetStringAttributeKind: fn(AttributeRef, *mut c_uint) -> *const c_char;
    LLVMGetEnumAttributeAtIndex: fn(ValueRef, c_uint, c_uint) -> AttributeRef;
    LLVMRemoveEnumAttributeAtIndex: fn(ValueRef, c_uint, c_uint);
    LLVMGetFirstUse: fn(ValueRef) -> UseRef;
    LLVMGetNextUse: fn(UseRef) -> UseRef;
    LLVMGetUser: fn(UseRef) -> ValueRef;
    LLVMIsACallInst: fn(ValueRef) -> ValueRef;
    LLVMIsAInvokeInst: fn(ValueRef) -> ValueRef;
    LLVMIsACallBrInst: fn(ValueRef) -> ValueRef;
    LLVMGetCalledValue: fn(ValueRef) -> ValueRef;
    LLVMAddCallSiteAttribute: fn(ValueRef, c_uint, AttributeRef);
    LLVMGetCallSiteEnumAttribute: fn(ValueRef, c_uint, c_uint) -> AttributeRef;
    LLVMGetCallSiteStringAttribute: fn(ValueRef, c_uint, *const c_char, c_uint) -> AttributeRef;
    LLVMRemoveCallSiteEnumAttribute: fn(ValueRef, c_uint, c_uint);
    LLVMRemoveCallSiteStringAttribute: fn(ValueRef, c_uint, *const c_char, c_uint);
    LLVMGetInstructionParent: fn(ValueRef) -> BasicBlockRef;
    LLVMGetBasicBlockParent: fn(BasicBlockRef) -> ValueRef;
    LLVMGetFirstBasicBlock: fn(ValueRef) -> BasicBlockRef;
    LLVMGetNextBasicBlock: fn(BasicBlockRef) -> BasicBlockRef;
    LLVMGetFirstInstruction: fn(BasicBlockRef) -> ValueRef;
    LLVMGetNextInstruction: fn(ValueRef) -> ValueRef;
    LLVMGetBasicBlockTerminator: fn(BasicBlockRef) -> ValueRef;
    LLVMGetNumSuccessors: fn(ValueRef) -> c_uint;
    LLVMGetSuccessor: fn(ValueRef, c_uint) -> BasicBlockRef;
    LLVMGetTargetFromTriple: fn(*const c_char, *mut TargetRef, *mut *mut c_char) -> Bool;
    LLVMCreateTargetMachine: fn(TargetRef, *const c_char, *const c_char, *const c_char, c_int, c_int, c_int) -> TargetMachineRef;
    LLVMDisposeTargetMachine: fn(TargetMachineRef);
    LLVMTargetMachineEmitToMemoryBuffer: fn(TargetMachineRef, ModuleRef, c_int, *mut *mut c_char, *mut MemoryBufferRef) -> Bool;
    LLVMCreatePassBuilderOptions: fn() -> PassBuilderOptionsRef;
    LLVMDisposePassBuilderOptions: fn(PassBuilderOptionsRef);
    LLVMRunPasses: fn(ModuleRef, *const c_char, TargetMachineRef, PassBuilderOptionsRef) -> ErrorRef;
    LLVMRunPassesOnFunction: fn(ValueRef, *const c_char, TargetMachineRef, PassBuilderOptionsRef) -> ErrorRef;
    LLVMGetErrorMessage: fn(ErrorRef) -> *mut c_char;
    LLVMDisposeErrorMessage: fn(*mut c_char);
    // ABI and target-cpu checks (issue #10): inline-compatibility probes
    // parsed from text, and `-C target-cpu=native`.
    LLVMParseIRInContext: fn(ContextRef, MemoryBufferRef, *mut ModuleRef, *mut *mut c_char) -> Bool;
    LLVMGetHostCPUName: fn() -> *mut c_char;
    LLVMGetHostCPUFeatures: fn() -> *mut c_char;
}
