//! Raw bindings to `<xdp/xsk.h>`'s rings (see build.rs).

#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
