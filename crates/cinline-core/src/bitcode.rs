//! Reading a bitcode file's header: is it bitcode, and which LLVM wrote it.

use std::path::{Path, PathBuf};

use cinline_llvm::{Context, Module};
use llvm_bitcode::bitcode::{Payload, Record};
use llvm_bitcode::visitor::BitStreamVisitor;
use llvm_bitcode::Bitcode;

use crate::toolchain::{parse_version, Version};
use crate::Error;

/// A bitcode file read into memory, with the LLVM release that wrote it.
pub struct BitcodeFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The producer string of its identification block (`LLVM22.1.8`).
    pub producer: Option<String>,
    /// The LLVM release named by the producer string.
    pub version: Option<Version>,
    /// Whether the bitstream reads to its end (false: truncated or damaged).
    pub intact: bool,
}

/// A content's length and a 128-bit hash of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint {
    /// The length in bytes.
    pub len: u64,
    /// The hash.
    pub hash: u128,
}

impl Fingerprint {
    /// The fingerprint of `bytes`.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        use std::hash::{Hash, Hasher};
        let half = |seed: u8| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            seed.hash(&mut hasher);
            bytes.hash(&mut hasher);
            hasher.finish()
        };
        Fingerprint {
            len: bytes.len() as u64,
            hash: u128::from(half(1)) << 64 | u128::from(half(2)),
        }
    }
}

/// The `IDENTIFICATION_BLOCK` id and its `STRING` record code.
const IDENTIFICATION_BLOCK: u32 = 13;
const IDENTIFICATION_STRING: u64 = 1;

/// Collects the producer string, skipping every other block (the module
/// itself is never decoded).
#[derive(Default)]
struct Producer(Option<String>);

impl BitStreamVisitor for Producer {
    fn should_enter_block(&mut self, block_id: u32) -> bool {
        block_id == IDENTIFICATION_BLOCK && self.0.is_none()
    }
    fn did_exit_block(&mut self, _block_id: u32) {}
    fn visit(&mut self, block_id: u32, mut record: Record) {
        if block_id != IDENTIFICATION_BLOCK || record.id != IDENTIFICATION_STRING {
            return;
        }
        let text = match record.take_payload() {
            Some(Payload::Char6String(s)) => s,
            Some(Payload::Array(chars)) => chars.iter().map(|&c| c as u8 as char).collect(),
            _ => record.fields().iter().map(|&c| c as u8 as char).collect(),
        };
        self.0 = Some(text);
    }
}

/// Whether `bytes` start as LLVM bitcode does: the raw magic (`BC` 0xC0DE,
/// what rustc and clang write on ELF targets) or the wrapper header.
pub fn is_bitcode(bytes: &[u8]) -> bool {
    bytes.starts_with(b"BC\xC0\xDE") || bytes.starts_with(&[0xDE, 0xC0, 0x17, 0x0B])
}

impl BitcodeFile {
    /// Reads `path`, refusing anything that is not LLVM bitcode.
    pub fn read(path: &Path) -> crate::Result<BitcodeFile> {
        // Every file LLVM parses is read here first: if LLVM aborts on it,
        // the supervisor names it.
        crate::supervise::stage(path);
        let bytes = std::fs::read(path).map_err(Error::read(path))?;
        if !is_bitcode(&bytes) {
            return Err(Error::NotBitcode {
                path: path.to_path_buf(),
                hint: describe(&bytes),
            });
        }
        let mut producer = Producer::default();
        // A damaged stream is left for LLVM to diagnose when it parses it.
        let intact = Bitcode::read(&bytes, &mut producer).is_ok();
        let version = producer.0.as_deref().and_then(|p| parse_version(p, "LLVM"));
        Ok(BitcodeFile {
            path: path.to_path_buf(),
            bytes,
            producer: producer.0,
            version,
            intact,
        })
    }

    /// Its bytes' length and a 128-bit hash of them (two differently
    /// seeded 64-bit hashes): what tells two contents apart where a
    /// result is kept for the same bitcode.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.bytes)
    }

    /// Reads a bitcode file that LLVM `engine` must be able to parse.
    pub fn read_for(path: &Path, engine: Version) -> crate::Result<BitcodeFile> {
        let file = BitcodeFile::read(path)?;
        file.check_readable_by(engine)?;
        Ok(file)
    }

    /// Parses the file in `ctx`, naming it in LLVM's error.
    pub fn parse<'ctx>(&self, ctx: &'ctx Context) -> crate::Result<Module<'ctx>> {
        ctx.parse_bitcode(&self.bytes, &self.path.to_string_lossy())
            .map_err(|e| Error::Llvm {
                path: self.path.clone(),
                message: format!(
                    "LLVM cannot read it: {e}{}",
                    if self.intact {
                        ""
                    } else {
                        " (the file is truncated or damaged: rebuild it)"
                    }
                ),
            })
    }

    /// Refuses bitcode written by an LLVM of a newer major than `engine`:
    /// LLVM reads bitcode of older releases, not of newer ones.
    pub fn check_readable_by(&self, engine: Version) -> crate::Result<()> {
        match self.version {
            Some(found) if found.major > engine.major => Err(Error::BitcodeTooNew {
                path: self.path.clone(),
                found,
                engine,
            }),
            _ => Ok(()),
        }
    }
}

/// A hint at what a non-bitcode file is, for the error message.
fn describe(bytes: &[u8]) -> String {
    let what = if bytes.starts_with(b"\x7fELF") {
        "an ELF object file, not bitcode: give the crate as `rustc --emit=llvm-bc` output \
         and the helpers as `cinline cc` output"
    } else if bytes.starts_with(b"!<arch>") {
        "an ar archive"
    } else if bytes.starts_with(b"; ModuleID") || bytes.starts_with(b"source_filename") {
        "textual LLVM IR; assemble it with `llvm-as`"
    } else if bytes.is_empty() {
        "empty"
    } else {
        return String::new();
    };
    format!(" (it is {what})")
}
