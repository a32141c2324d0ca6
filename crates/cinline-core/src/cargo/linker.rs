//! The linker wrapper: rustc calls this executable to link a binary, test
//! or cdylib; codegen units that call helpers are replaced by inlined ones
//! on the command line, then the real linker runs.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cgu::{inline_cgu, unit_left_out};
use super::own_codegen::{compile_units, generate_archive, ArchiveCrate, FreeCores, UnitBitcode};
use super::record::{dir_for, Record, Unit};
use super::{
    env_keys, exit_code, file_size, is_unit, log, strict, unit_bitcode, HelperSet, Outcome,
};
use crate::bitcode::is_bitcode;
use crate::link::Codegen;
use crate::toolchain::Rustc;
use crate::{full_message, getenv, Error};

/// The variables the rustc wrapper sets for rustc's linker: read from the
/// environment by the linker, sent along by it to a link server.
const HANDED: [&str; 9] = [
    env_keys::RUSTC,
    env_keys::MANIFESTS,
    env_keys::CAPTURED,
    env_keys::TARGET,
    env_keys::CODEGEN,
    env_keys::STEM,
    env_keys::OUT_DIR,
    env_keys::TEST,
    env_keys::REAL_LINKER,
];

/// What the rustc wrapper handed the linker ([`HANDED`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Handed {
    /// Each variable set, with its value's bytes.
    vars: Vec<(String, Vec<u8>)>,
}

impl Handed {
    /// This process's.
    pub(super) fn from_env() -> Handed {
        use std::os::unix::ffi::OsStringExt;
        Handed {
            vars: HANDED
                .iter()
                .filter_map(|key| Some((key.to_string(), getenv(key)?.into_vec())))
                .collect(),
        }
    }

    /// Those of the variables `pairs` (key, value) the linker reads, in
    /// the order [`Handed::from_env`] gives them, and as it reads them (an
    /// empty value is no value): the same handing compares equal.
    pub(super) fn from_pairs(pairs: Vec<(&str, OsString)>) -> Handed {
        use std::os::unix::ffi::OsStringExt;
        let mut pairs = pairs;
        Handed {
            vars: HANDED
                .iter()
                .filter_map(|key| {
                    let at = pairs.iter().position(|(k, v)| k == key && !v.is_empty())?;
                    Some((key.to_string(), pairs.swap_remove(at).1.into_vec()))
                })
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<OsString> {
        use std::os::unix::ffi::OsStringExt;
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| OsString::from_vec(v.clone()))
    }

    /// The rustc the wrapper described.
    fn rustc(&self) -> Option<Rustc> {
        self.get(env_keys::RUSTC)
            .and_then(|j| Rustc::from_json(&j.to_string_lossy()))
    }

    /// `{crate}{extra-filename}` of the crate being linked.
    pub(super) fn stem(&self) -> String {
        self.get(env_keys::STEM)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The crate's output directory.
    pub(super) fn out_dir(&self) -> Option<PathBuf> {
        self.get(env_keys::OUT_DIR).map(PathBuf::from)
    }

    /// The real linker the wrapper named.
    pub(super) fn real_linker(&self) -> OsString {
        self.get(env_keys::REAL_LINKER)
            .unwrap_or_else(|| "cc".into())
    }

    /// Whether the link is of a test harness (see [`links_a_test`]).
    fn test(&self) -> bool {
        self.get(env_keys::TEST).is_some_and(|v| v == "1")
    }
}

/// What linking a crate takes besides its arguments.
pub(super) struct Context {
    rustc: Rustc,
    helpers: HelperSet,
    codegen: Codegen,
}

fn context(handed: &Handed) -> crate::Result<Context> {
    let rustc = match handed.rustc() {
        Some(rustc) => rustc,
        None => Rustc::find()?,
    };
    let paths = |key: &str| -> Vec<PathBuf> {
        handed
            .get(key)
            .map(|m| std::env::split_paths(&m).collect())
            .unwrap_or_default()
    };
    let target = handed
        .get(env_keys::TARGET)
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut helpers, skipped) =
        HelperSet::from_manifests(&paths(env_keys::MANIFESTS), &target, rustc.llvm);
    helpers.add_captured(&paths(env_keys::CAPTURED));
    if let Some(skipped) = skipped.into_iter().next() {
        return Err(crate::Error::ManifestSkipped(Box::new(skipped)));
    }
    let codegen = handed
        .get(env_keys::CODEGEN)
        .and_then(|c| serde_json::from_str(&c.to_string_lossy()).ok())
        .unwrap_or_default();
    Ok(Context {
        rustc,
        helpers,
        codegen,
    })
}

impl Context {
    /// The objects of the library `krate`'s archive and its record (see
    /// [`super::own_codegen::generate_archive`]): a link server's work for
    /// a library's rustc wrapper.
    pub(super) fn generate_archive(
        &self,
        krate: &ArchiveCrate,
    ) -> crate::Result<(Record, BTreeMap<String, Vec<u8>>)> {
        let members = super::archive::members(&krate.archive())?;
        generate_archive(krate, &members, &self.rustc, &self.helpers, &self.codegen)
    }
}

/// What the linker needs before it reads its arguments: rustc's libLLVM
/// (loaded while the manifests are read, when `load_llvm`) and what the
/// wrapper `handed` over.
pub(super) fn load(handed: &Handed, load_llvm: bool) -> crate::Result<Context> {
    std::thread::scope(|s| {
        if let Some(rustc) = handed.rustc().filter(|_| load_llvm) {
            s.spawn(move || crate::toolchain::load_libllvm(&rustc).is_ok());
        }
        context(handed)
    })
}

/// `args`: the linker's arguments.
pub(super) fn run(args: &[OsString]) -> Outcome {
    let handed = Handed::from_env();
    let bitcode = !bitcode_units(args, &handed.stem()).is_empty();
    let scratch = match tempfile::tempdir() {
        Ok(scratch) => scratch,
        // rustc's objects link as they are; its bitcode cannot.
        Err(_) if !bitcode => return run_real_linker(&handed.real_linker(), args),
        Err(e) => return Outcome::failed(format!("cannot create a temporary directory: {e}")),
    };
    // rustc's libLLVM, which generating the bitcode units needs first.
    let context = load(&handed, bitcode);
    match link_line(args, &handed, context, scratch.path(), FreeCores::Jobserver) {
        Ok(line) => run_real_linker(&handed.real_linker(), &line),
        Err(outcome) => outcome,
    }
}

/// The real linker's arguments: `args` with this crate's units replaced by
/// the objects generated into `scratch` (which must outlive the link), and
/// the record written; or how the link ends without the real linker.
pub(super) fn link_line(
    args: &[OsString],
    handed: &Handed,
    context: crate::Result<Context>,
    scratch: &Path,
    free: FreeCores,
) -> Result<Vec<OsString>, Outcome> {
    let stem = handed.stem();
    let crate_name = stem.split('-').next().unwrap_or_default().to_string();
    let out_dir = handed.out_dir();
    if let Some(out_dir) = &out_dir {
        crate::inline_attrs::keep_probes_in(super::probes_dir(out_dir));
    }
    let mut record = Record {
        crate_name: crate_name.clone(),
        stem: stem.clone(),
        kind: "link".into(),
        test: handed.test(),
        ..Record::default()
    };
    let mut new_args = args.to_vec();
    let bitcode = bitcode_units(args, &stem);
    record.bitcode_bytes = bitcode.iter().map(|u| file_size(&u.path)).sum();
    match context {
        Ok(ctx) if !bitcode.is_empty() => {
            log(|| format!("linking `{stem}`: {:?}", new_args));
            let generated = generate(
                &bitcode,
                &crate_name,
                &ctx,
                (scratch, out_dir.as_deref()),
                free,
                &mut new_args,
            );
            match generated {
                Ok(units) => {
                    new_args.retain(|a| !is_plugin_option(a));
                    record.units = units;
                }
                Err(e) => record.failures.push(full_message(&e)),
            }
        }
        Ok(ctx) => {
            let single = new_args
                .iter()
                .filter_map(|a| Path::new(a).file_name())
                .filter(|n| is_unit(&n.to_string_lossy(), &stem))
                .count()
                == 1;
            log(|| format!("linking `{stem}`: {:?}", new_args));
            for arg in new_args.iter_mut() {
                if let Some(replacement) =
                    replace_object(Path::new(arg), &stem, single, &ctx, scratch, &mut record)
                {
                    *arg = replacement.into();
                }
            }
        }
        Err(why) => record.failures.push(full_message(&why)),
    }
    // rustc hides what a linker prints when it succeeds: the rustc
    // wrapper reads this record and tells the user.
    if let Some(out_dir) = &out_dir {
        let _ = record.write(&dir_for(out_dir));
    }
    if strict() && record.incomplete() {
        return Err(Outcome::strict_failure(
            &crate_name,
            &record.summary().unwrap_or_default(),
        ));
    }
    if !bitcode.is_empty() && !record.failures.is_empty() {
        // No object of rustc's to link instead: rustc fails, and the
        // wrapper builds the crate again as cargo asked.
        return Err(Outcome::failed(record.failures.join("; ")));
    }
    log(|| {
        format!(
            "running {} {:?}",
            handed.real_linker().to_string_lossy(),
            new_args
        )
    });
    Ok(new_args)
}

/// Whether the rustc wrapper said this link is of a test harness: the
/// record is then the harness's, which the crate's own (linked at the same
/// time, by another rustc) must not take for an old one of its own.
pub(super) fn links_a_test() -> bool {
    Handed::from_env().test()
}

/// The real linker with `args`.
fn real_linker_command(real: &OsStr, args: &[OsString]) -> Command {
    // The real linker must not see our variables (it may be a compiler
    // driver that calls programs that call us).
    let mut cmd = Command::new(real);
    cmd.args(args);
    for key in [
        env_keys::LINKER,
        env_keys::WRAPPER,
        env_keys::REAL_LINKER,
        env_keys::MANIFESTS,
        env_keys::CODEGEN,
        env_keys::ACTIVE,
    ] {
        cmd.env_remove(key);
    }
    cmd
}

fn cannot_run_linker(real: &OsStr, e: &std::io::Error) -> Outcome {
    Outcome::failed(format!(
        "cannot run the linker {}: {e}",
        real.to_string_lossy()
    ))
}

/// Runs the real linker with `args` and passes its exit code through.
pub(super) fn run_real_linker(real: &OsStr, args: &[OsString]) -> Outcome {
    match real_linker_command(real, args).status() {
        Ok(status) => exit_code(status),
        Err(e) => cannot_run_linker(real, &e),
    }
}

/// Becomes the real linker with `args` (`exec`), where nothing is left to
/// do after it: rustc then waits for one process, not two. Returns only if
/// the linker could not be started.
pub(super) fn become_real_linker(real: &OsStr, args: &[OsString]) -> Outcome {
    use std::os::unix::process::CommandExt;
    let e = real_linker_command(real, args).exec();
    cannot_run_linker(real, &e)
}

/// rustc's temporary directory for this link, if `args` name something in
/// it (`symbols.o` on ELF targets): `rustc` followed by random letters, in
/// the crate's output directory `out_dir`. rustc removes it, and whatever
/// is in it, once its linker is done.
pub(super) fn rustc_temp_dir(args: &[OsString], out_dir: Option<&Path>) -> Option<PathBuf> {
    let out_dir = out_dir?;
    args.iter().find_map(|arg| {
        let dir = Path::new(arg).parent()?;
        let name = dir.file_name()?.to_str()?;
        let rustc_made = name.len() > "rustc".len() && name.starts_with("rustc");
        (rustc_made && dir.parent() == Some(out_dir) && dir.is_dir()).then(|| dir.to_path_buf())
    })
}

/// One of this crate's bitcode objects on the link line, which rustc left
/// for cinline to generate ([`super::own_codegen::Once::Linked`]).
pub(super) struct BitcodeUnit {
    /// Its place among the linker's arguments.
    index: usize,
    /// Its path.
    path: PathBuf,
    /// Its file name.
    name: String,
}

/// This crate's bitcode objects among the linker's `args`; the allocator
/// shim is one of them.
pub(super) fn bitcode_units(args: &[OsString], stem: &str) -> Vec<BitcodeUnit> {
    let prefix = format!("{stem}.");
    args.iter()
        .enumerate()
        .filter_map(|(index, arg)| {
            let path = PathBuf::from(arg);
            let name = path.file_name()?.to_string_lossy().into_owned();
            if !(name.starts_with(&prefix) && name.ends_with(".rcgu.o")) {
                return None;
            }
            let mut magic = [0; 4];
            let mut file = std::fs::File::open(&path).ok()?;
            std::io::Read::read_exact(&mut file, &mut magic).ok()?;
            is_bitcode(&magic).then_some(BitcodeUnit { index, path, name })
        })
        .collect()
}

/// The crate's codegen units among `units` (rustc names them
/// `...-cgu.N.rcgu.o`), in name order, generated as one unit under the
/// first's name; and the others (the allocator shim), each generated alone.
fn grouped(units: &[BitcodeUnit]) -> (Vec<&BitcodeUnit>, Vec<&BitcodeUnit>) {
    let (mut crate_units, shims): (Vec<&BitcodeUnit>, Vec<&BitcodeUnit>) =
        units.iter().partition(|u| u.name.contains("-cgu."));
    crate_units.sort_by(|a, b| a.name.cmp(&b.name));
    (crate_units, shims)
}

/// The sizes in bytes of the units cinline generates from `units` (see
/// [`grouped`]): what the parts of each may be cut from.
pub(super) fn generated_sizes(units: &[BitcodeUnit]) -> Vec<u64> {
    let (crate_units, shims) = grouped(units);
    let size = |u: &&BitcodeUnit| file_size(&u.path);
    let whole = (!crate_units.is_empty()).then(|| crate_units.iter().map(size).sum());
    shims.iter().map(size).chain(whole).collect()
}

/// Generates the objects of the bitcode `units` into `scratch` (beside the
/// bitcode under `CINLINE_SAVE_TEMPS`) and puts them in their place among
/// the linker's `args`; the records of the units that called helpers.
/// `out_dir`: the crate's output directory, if known; `free`: the cores
/// the parts of a small unit may use.
fn generate(
    units: &[BitcodeUnit],
    crate_name: &str,
    ctx: &Context,
    (scratch, out_dir): (&Path, Option<&Path>),
    free: FreeCores,
    args: &mut Vec<OsString>,
) -> crate::Result<Vec<Unit>> {
    let (crate_units, shims) = grouped(units);
    let others: Vec<PathBuf> = crate_units.iter().skip(1).map(|u| u.path.clone()).collect();
    let mut named: Vec<(&str, UnitBitcode<'_>)> = shims
        .iter()
        .map(|u| (u.name.as_str(), UnitBitcode::File(&u.path)))
        .collect();
    if let Some(first) = crate_units.first() {
        let bitcode = if others.is_empty() {
            UnitBitcode::File(&first.path)
        } else {
            UnitBitcode::Linked {
                first: &first.path,
                others: &others,
            }
        };
        named.push((first.name.as_str(), bitcode));
    }
    // The places on the line of the units linked into another.
    let merged: Vec<usize> = crate_units.iter().skip(1).map(|u| u.index).collect();
    let compiled = compile_units(
        crate_name,
        &named,
        &ctx.rustc,
        &ctx.helpers,
        &ctx.codegen,
        Some(free),
        out_dir,
    )?;
    let mut records = Vec::new();
    let mut objects: Vec<(usize, Vec<PathBuf>)> = Vec::new();
    for compiled in compiled {
        let Some(unit) = units.iter().find(|u| u.name == compiled.name) else {
            continue;
        };
        let dir = match unit.path.parent() {
            Some(beside) if crate::env::save_temps() => beside,
            _ => scratch,
        };
        let single = compiled.objects.len() == 1;
        let mut paths = Vec::new();
        for (part, object) in compiled.objects.iter().enumerate() {
            let path = if single {
                dir.join(format!("{}.cinline.o", unit.name))
            } else {
                dir.join(format!("{}.cinline.{part}.o", unit.name))
            };
            std::fs::write(&path, object).map_err(Error::write(&path))?;
            paths.push(path);
        }
        objects.push((unit.index, paths));
        records.extend(compiled.unit);
    }
    // Each unit's objects in its place on the line, the parts of one in order.
    let mut new_args = Vec::with_capacity(args.len() + objects.len());
    for (index, arg) in args.drain(..).enumerate() {
        match objects.iter_mut().find(|(i, _)| *i == index) {
            Some((_, paths)) => new_args.extend(paths.drain(..).map(OsString::from)),
            None if merged.contains(&index) => {}
            None => new_args.push(arg),
        }
    }
    *args = new_args;
    Ok(records)
}

/// Whether `arg` only passes options to the linker's LTO plugin (rustc
/// adds `-plugin-opt=O3,-plugin-opt=mcpu=...` for `-C linker-plugin-lto`):
/// once cinline generated the objects there is nothing for a plugin.
fn is_plugin_option(arg: &OsString) -> bool {
    let arg = arg.to_string_lossy();
    let options = arg.strip_prefix("-Wl,").unwrap_or(&arg);
    options.split(',').all(|o| o.starts_with("-plugin-opt="))
}

/// If `arg` is one of this crate's codegen units and calls helpers, the
/// path of its inlined replacement (written into `scratch`).
fn replace_object(
    arg: &Path,
    stem: &str,
    single: bool,
    ctx: &Context,
    scratch: &Path,
    record: &mut Record,
) -> Option<PathBuf> {
    let name = arg.file_name()?.to_string_lossy().into_owned();
    let bitcode = unit_bitcode(arg.parent()?, &name, stem, single)?;
    record.bitcode_bytes += file_size(&bitcode);
    log(|| format!("linking `{stem}`: unit {name} with {}", bitcode.display()));
    let data = std::fs::read(arg).ok()?;
    match inline_cgu(&bitcode, &data, &ctx.helpers, &ctx.codegen, &ctx.rustc) {
        Ok(None) => None,
        Ok(Some(inlined)) => {
            // CINLINE_SAVE_TEMPS keeps the replacement beside the original.
            let dir = if crate::env::save_temps() {
                arg.parent()?
            } else {
                scratch
            };
            let path = dir.join(format!("{name}.cinline.o"));
            if let Err(e) = std::fs::write(&path, &inlined.object) {
                record.failures.push(format!("{}: {e}", path.display()));
                return None;
            }
            record.units.push(inlined.unit(name.clone()));
            Some(path)
        }
        Err(e) => {
            record.units.extend(unit_left_out(
                &name,
                arg,
                &data,
                &ctx.helpers,
                &format!("not inlined: {}", full_message(&e)),
            ));
            record.failures.push(full_message(&e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_s_temporary_directory_is_the_one_in_the_output_directory() {
        let out = tempfile::tempdir().unwrap();
        let temp = out.path().join("rustcAbC123");
        std::fs::create_dir(&temp).unwrap();
        let own = out.path().join("rustc");
        std::fs::create_dir(&own).unwrap();
        let arg = |p: std::path::PathBuf| OsString::from(p);
        let symbols = arg(temp.join("symbols.o"));
        let found = rustc_temp_dir(&["-m64".into(), symbols.clone()], Some(out.path()));
        assert_eq!(found, Some(temp.clone()));
        // Named elsewhere, or only `rustc`, or no output directory: none.
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(
            rustc_temp_dir(std::slice::from_ref(&symbols), Some(elsewhere.path())),
            None
        );
        assert_eq!(
            rustc_temp_dir(&[arg(own.join("x.o"))], Some(out.path())),
            None
        );
        assert_eq!(rustc_temp_dir(&[symbols], None), None);
    }

    #[test]
    fn only_the_plugin_options_rustc_adds_are_dropped() {
        for arg in [
            "-Wl,-plugin-opt=O3,-plugin-opt=mcpu=x86-64",
            "-plugin-opt=O2",
        ] {
            assert!(is_plugin_option(&arg.into()), "{arg}");
        }
        for arg in [
            "-Wl,--gc-sections",
            "-Wl,",
            "-Wl,-plugin-opt=O3,-z,now",
            "x.o",
        ] {
            assert!(!is_plugin_option(&arg.into()), "{arg}");
        }
    }
}
