//! Raw bindings to `<sys/socket.h>` (see build.rs): `CMSG_SPACE`,
//! `CMSG_FIRSTHDR`... are functions here, inlined under `cargo cinline`.

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
