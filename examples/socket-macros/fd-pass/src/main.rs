//! Control messages through `<sys/socket.h>`'s `CMSG_*` macros, called
//! as functions (cinline-build's `function_macro`):
//!
//! 1. the sizes the macros give;
//! 2. a pipe's write end passed over a Unix socket pair with `SCM_RIGHTS`,
//!    then written through on the receiving side and read back;
//! 3. a hot loop (`cmsg_hot_walk`) that fills a control buffer with many
//!    messages and walks it, `CMSG_FIRSTHDR`/`CMSG_NXTHDR`/`CMSG_DATA` on
//!    every step.
//!
//! Everything printed is deterministic (`expected_output.txt`).

use std::mem::size_of;
use std::os::raw::{c_int, c_void};
use std::ptr;

use socket_sys as sys;

/// Control messages per buffer in the hot loop, and rounds of it.
const MESSAGES: usize = 64;
const ROUNDS: u32 = 200_000;

/// A buffer aligned for `struct cmsghdr`, with room for `MESSAGES`
/// messages of one `int` each.
#[repr(C, align(8))]
struct ControlBuffer([u8; MESSAGES * 24]);

fn msghdr_over(control: &mut [u8]) -> sys::msghdr {
    sys::msghdr {
        msg_name: ptr::null_mut(),
        msg_namelen: 0,
        msg_iov: ptr::null_mut(),
        msg_iovlen: 0,
        msg_control: control.as_mut_ptr() as *mut c_void,
        msg_controllen: control.len(),
        msg_flags: 0,
    }
}

/// Fills `control` with as many one-`int` messages as fit (the `i`-th
/// carrying `seed + i`), then walks them; returns (messages, sum of data).
#[inline(never)]
fn cmsg_hot_walk(control: &mut [u8], seed: c_int) -> (usize, i64) {
    let mut msg = msghdr_over(control);
    let int = size_of::<c_int>();
    // SAFETY: every pointer comes from CMSG_FIRSTHDR/CMSG_NXTHDR over
    // `control`, which they keep inside its bounds, and writes stay within
    // CMSG_LEN(int) of each header.
    unsafe {
        let space = sys::CMSG_SPACE(int);
        msg.msg_controllen = (control.len() / space) * space;
        let mut cmsg = sys::CMSG_FIRSTHDR(&mut msg);
        let mut i = 0;
        while !cmsg.is_null() {
            (*cmsg).cmsg_len = sys::CMSG_LEN(int);
            (*cmsg).cmsg_level = sys::SOL_SOCKET as c_int;
            (*cmsg).cmsg_type = sys::SCM_RIGHTS as c_int;
            ptr::write_unaligned(sys::CMSG_DATA(cmsg) as *mut c_int, seed + i);
            i += 1;
            cmsg = sys::CMSG_NXTHDR(&mut msg, cmsg);
        }
        let (mut count, mut sum) = (0, 0i64);
        let mut cmsg = sys::CMSG_FIRSTHDR(&mut msg);
        while !cmsg.is_null() {
            count += 1;
            sum += i64::from(ptr::read_unaligned(sys::CMSG_DATA(cmsg) as *const c_int));
            cmsg = sys::CMSG_NXTHDR(&mut msg, cmsg);
        }
        (count, sum)
    }
}

fn check(what: &str, result: c_int) -> c_int {
    if result < 0 {
        eprintln!("{what} failed: {}", std::io::Error::last_os_error());
        std::process::exit(1);
    }
    result
}

/// Sends `fd` over `socket` with one byte of data, as `SCM_RIGHTS`.
fn send_fd(socket: c_int, fd: c_int) {
    let mut byte = *b"!";
    let mut iov = sys::iovec {
        iov_base: byte.as_mut_ptr() as *mut c_void,
        iov_len: 1,
    };
    let mut control = ControlBuffer([0; MESSAGES * 24]);
    // SAFETY: the message points at live locals; the header and data are
    // written within CMSG_SPACE(int) of the buffer's start.
    unsafe {
        let int = size_of::<c_int>();
        let mut msg = msghdr_over(&mut control.0[..sys::CMSG_SPACE(int)]);
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        let cmsg = sys::CMSG_FIRSTHDR(&mut msg);
        (*cmsg).cmsg_level = sys::SOL_SOCKET as c_int;
        (*cmsg).cmsg_type = sys::SCM_RIGHTS as c_int;
        (*cmsg).cmsg_len = sys::CMSG_LEN(int);
        ptr::write_unaligned(sys::CMSG_DATA(cmsg) as *mut c_int, fd);
        check("sendmsg", sys::sendmsg(socket, &msg, 0) as c_int);
    }
}

/// Receives one file descriptor sent by [`send_fd`].
fn receive_fd(socket: c_int) -> c_int {
    let mut byte = [0u8; 1];
    let mut iov = sys::iovec {
        iov_base: byte.as_mut_ptr() as *mut c_void,
        iov_len: 1,
    };
    let mut control = ControlBuffer([0; MESSAGES * 24]);
    // SAFETY: as in `send_fd`; the kernel fills at most msg_controllen.
    unsafe {
        let mut msg = msghdr_over(&mut control.0[..sys::CMSG_SPACE(size_of::<c_int>())]);
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        check("recvmsg", sys::recvmsg(socket, &mut msg, 0) as c_int);
        let cmsg = sys::CMSG_FIRSTHDR(&mut msg);
        assert!(!cmsg.is_null(), "no control message received");
        assert_eq!((*cmsg).cmsg_type, sys::SCM_RIGHTS as c_int);
        ptr::read_unaligned(sys::CMSG_DATA(cmsg) as *const c_int)
    }
}

fn main() {
    // SAFETY: plain arithmetic macros.
    let sizes = unsafe {
        [
            sys::CMSG_ALIGN(5),
            sys::CMSG_LEN(size_of::<c_int>()),
            sys::CMSG_SPACE(size_of::<c_int>()),
            sys::CMSG_SPACE(3 * size_of::<c_int>()),
        ]
    };
    println!("CMSG_ALIGN(5), CMSG_LEN(int), CMSG_SPACE(int), CMSG_SPACE(3 ints) = {sizes:?}");

    let (mut sockets, mut pipe) = ([0 as c_int; 2], [0 as c_int; 2]);
    // SAFETY: the arrays have the two elements each call writes.
    unsafe {
        check(
            "socketpair",
            sys::socketpair(
                sys::AF_UNIX as c_int,
                sys::__socket_type_SOCK_STREAM as c_int,
                0,
                sockets.as_mut_ptr(),
            ),
        );
        check("pipe", sys::pipe(pipe.as_mut_ptr()));
    }
    send_fd(sockets[0], pipe[1]);
    let received = receive_fd(sockets[1]);
    let text = b"through a passed descriptor";
    let mut back = [0u8; 64];
    // SAFETY: the buffers outlive the calls, lengths are theirs.
    let n = unsafe {
        check(
            "write",
            sys::write(received, text.as_ptr() as *const c_void, text.len()) as c_int,
        );
        check(
            "read",
            sys::read(pipe[0], back.as_mut_ptr() as *mut c_void, back.len()) as c_int,
        )
    };
    println!(
        "SCM_RIGHTS: passed a pipe's write end (a new descriptor: {}), read back {:?}",
        received != pipe[1],
        String::from_utf8_lossy(&back[..n as usize])
    );
    // SAFETY: descriptors this program opened.
    unsafe {
        for fd in [sockets[0], sockets[1], pipe[0], pipe[1], received] {
            sys::close(fd);
        }
    }

    let mut control = ControlBuffer([0; MESSAGES * 24]);
    let (mut count, mut sum) = (0, 0i64);
    for round in 0..ROUNDS {
        let (c, s) = cmsg_hot_walk(&mut control.0, round as c_int);
        count += c;
        sum += s;
    }
    println!("hot: {ROUNDS} rounds, {count} control messages walked, data sum {sum}");
}
