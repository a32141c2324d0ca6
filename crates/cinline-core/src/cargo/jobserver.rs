//! A free core, asked of cargo's jobserver: whether generating a unit in
//! two parts at once would take a core no other job of the build is using.
//!
//! cargo runs every job (rustc, and through it cinline's linker) under a
//! GNU make jobserver: a pipe holding one byte per core free for more work,
//! named in `CARGO_MAKEFLAGS` (`--jobserver-auth=R,W`, or `fifo:PATH` as
//! make 4.4 passes it) and inherited by rustc's linker. A job that reads a
//! byte may run one more thread, and writes the byte back when it ends.
//! cinline only ever asks without waiting: no byte, no second part.
//!
//! The pipe's two ends are reopened through `/proc/self/fd` (a new open
//! file of the same pipe, non-blocking, without touching the inherited
//! descriptors' flags), and only if both name the same pipe: a number in
//! the variable whose descriptor was closed or reused is no jobserver.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

/// Where the jobserver's pipe is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Auth {
    /// Inherited descriptors: read end, write end.
    Fds(u32, u32),
    /// A named pipe (make 4.4's `fifo:PATH`).
    Fifo(PathBuf),
}

/// The jobserver named in `makeflags` (the value of `CARGO_MAKEFLAGS` or
/// `MAKEFLAGS`): the last `--jobserver-auth=` (or the older
/// `--jobserver-fds=`), as make reads it. `None` without one.
fn parse(makeflags: &str) -> Option<Auth> {
    let value = makeflags
        .split_whitespace()
        .filter_map(|word| {
            word.strip_prefix("--jobserver-auth=")
                .or_else(|| word.strip_prefix("--jobserver-fds="))
        })
        .next_back()?;
    if let Some(path) = value.strip_prefix("fifo:") {
        return Some(Auth::Fifo(PathBuf::from(path)));
    }
    let (read, write) = value.split_once(',')?;
    Some(Auth::Fds(read.parse().ok()?, write.parse().ok()?))
}

/// The build's jobserver, opened.
pub(super) struct Jobserver {
    read: File,
    write: File,
}

impl Jobserver {
    /// The jobserver cargo passed down, if there is one and its pipe is
    /// open in this process.
    pub(super) fn from_env() -> Option<Jobserver> {
        let flags = crate::getenv("CARGO_MAKEFLAGS").or_else(|| crate::getenv("MAKEFLAGS"))?;
        Jobserver::open(&parse(&flags.to_string_lossy())?)
    }

    /// The jobserver at `auth`, if its pipe is open.
    fn open(auth: &Auth) -> Option<Jobserver> {
        let (read, write) = match auth {
            Auth::Fds(read, write) => (
                PathBuf::from(format!("/proc/self/fd/{read}")),
                PathBuf::from(format!("/proc/self/fd/{write}")),
            ),
            Auth::Fifo(path) => (path.clone(), path.clone()),
        };
        let nonblocking = nix::libc::O_NONBLOCK;
        let read = OpenOptions::new()
            .read(true)
            .custom_flags(nonblocking)
            .open(read)
            .ok()?;
        let write = OpenOptions::new()
            .write(true)
            .custom_flags(nonblocking)
            .open(write)
            .ok()?;
        let (r, w) = (read.metadata().ok()?, write.metadata().ok()?);
        let same_pipe = r.file_type().is_fifo() && (r.dev(), r.ino()) == (w.dev(), w.ino());
        same_pipe.then_some(Jobserver { read, write })
    }

    /// A token for one more thread, if one is free now (never waits).
    pub(super) fn try_acquire(&self) -> Option<Token<'_>> {
        let mut byte = [0u8];
        match (&self.read).read(&mut byte) {
            Ok(1) => Some(Token {
                server: self,
                byte: byte[0],
            }),
            _ => None,
        }
    }
}

/// One core, held until dropped: its byte goes back into the pipe. (A
/// process killed while holding one loses it, as any make job would: the
/// build goes on with one job fewer.)
pub(super) struct Token<'a> {
    server: &'a Jobserver,
    byte: u8,
}

impl Drop for Token<'_> {
    fn drop(&mut self) {
        // The pipe had room for this byte when it was read out.
        let _ = (&self.server.write).write_all(&[self.byte]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_cargo_and_make_pass() {
        assert_eq!(
            parse("-j --jobserver-fds=6,7 --jobserver-auth=6,7"),
            Some(Auth::Fds(6, 7))
        );
        assert_eq!(parse(" -j2 --jobserver-fds=3,4"), Some(Auth::Fds(3, 4)));
        assert_eq!(
            parse("-j4 --jobserver-auth=fifo:/tmp/GMfifo12"),
            Some(Auth::Fifo("/tmp/GMfifo12".into()))
        );
        // The last one counts, as in make.
        assert_eq!(
            parse("--jobserver-auth=3,4 --jobserver-auth=8,9"),
            Some(Auth::Fds(8, 9))
        );
        assert_eq!(parse("-j4"), None);
        assert_eq!(parse("--jobserver-auth=3"), None);
        assert_eq!(parse("--jobserver-auth=a,b"), None);
    }

    #[test]
    fn a_token_goes_back_into_the_pipe() {
        use std::os::fd::AsRawFd;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"+").unwrap();
        let fds = Auth::Fds(
            reader.as_raw_fd().try_into().unwrap(),
            writer.as_raw_fd().try_into().unwrap(),
        );
        let server = Jobserver::open(&fds).expect("the pipe, reopened");
        let token = server.try_acquire().expect("one token in the pipe");
        assert!(server.try_acquire().is_none(), "only one was there");
        drop(token);
        assert!(server.try_acquire().is_some(), "the token came back");
    }

    #[test]
    fn descriptors_of_two_pipes_are_no_jobserver() {
        use std::os::fd::AsRawFd;
        let (one, _) = std::io::pipe().unwrap();
        let (_, other) = std::io::pipe().unwrap();
        let fds = Auth::Fds(
            one.as_raw_fd().try_into().unwrap(),
            other.as_raw_fd().try_into().unwrap(),
        );
        assert!(Jobserver::open(&fds).is_none());
    }
}
