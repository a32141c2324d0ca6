//! Bindings to the ring functions of libxdp's `<xdp/xsk.h>` (Debian:
//! `libxdp-dev`). They are C99 `inline` (not `static`): bindgen alone binds
//! none; cinline-build binds them and defines them in its native library
//! and bitcode, so no libxdp is linked and cinline inlines them.

fn main() {
    cinline_build::Builder::new()
        .header("wrapper.h")
        .allowlist_function("xsk_ring_.*|xsk_prod_nb_free|xsk_cons_nb_avail")
        .allowlist_type("xsk_ring_.*")
        .generate();
}
