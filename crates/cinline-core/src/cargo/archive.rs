//! Replacing objects inside an `ar` archive (`.rlib`, `.a`), with its
//! symbol table rebuilt by `ar_archive_writer`, the writer rustc uses.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use ar_archive_writer::{
    write_archive_to_stream, ArchiveKind, NewArchiveMember, DEFAULT_OBJECT_READER,
};
use object::read::archive::ArchiveFile;

use crate::{write_atomic, Error};

/// The members of the archive at `path`, as (name, bytes), in order.
pub fn members(path: &Path) -> crate::Result<Vec<(String, Vec<u8>)>> {
    let data = std::fs::read(path).map_err(Error::read(path))?;
    let bad = |source| Error::NotArchive {
        path: path.to_path_buf(),
        source,
    };
    let archive = ArchiveFile::parse(&*data).map_err(bad)?;
    archive
        .members()
        .map(|member| {
            let member = member.map_err(bad)?;
            let name = String::from_utf8_lossy(member.name()).into_owned();
            Ok((name, member.data(&*data).map_err(bad)?.to_vec()))
        })
        .collect()
}

/// Rewrites the archive at `path`, whose members ([`members`]) are
/// `members`, with those named in `replacements` replaced, atomically.
pub fn replace(
    path: &Path,
    members: &[(String, Vec<u8>)],
    replacements: &BTreeMap<String, Vec<u8>>,
) -> crate::Result<()> {
    let new: Vec<NewArchiveMember<'_>> = members
        .iter()
        .map(|(name, data)| {
            let bytes: &[u8] = replacements
                .get(name)
                .map_or(data.as_slice(), Vec::as_slice);
            NewArchiveMember::new(bytes, &DEFAULT_OBJECT_READER, name.clone())
        })
        .collect();
    let mut out = Cursor::new(Vec::new());
    write_archive_to_stream(&mut out, &new, ArchiveKind::Gnu, false, None)
        .map_err(Error::write(path))?;
    write_atomic(path, &out.into_inner())?;
    Ok(())
}
