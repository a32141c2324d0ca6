//! Bindings to `<liburing.h>` (Debian: `liburing-dev`): every function of
//! liburing, the `static inline` ones through cinline-build's wrappers,
//! and the real library for the others (`io_uring_queue_init`,
//! `io_uring_submit`...).

fn main() {
    cinline_build::Builder::new()
        .header("wrapper.h")
        // `_io_uring_get_sqe` (one underscore) is the static inline body
        // of `io_uring_get_sqe`; `__io_uring_peek_cqe` and friends too.
        .allowlist_function("_{0,2}io_uring_.*")
        .allowlist_type("io_uring.*")
        .allowlist_var("IORING_.*|IOSQE_.*|LIBURING_.*")
        .generate();
    println!("cargo:rustc-link-lib=uring");
}
