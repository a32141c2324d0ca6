fn main() {
    cinline_build::Builder::new()
        .header("wrapper.h")
        // `_io_uring_get_sqe` is the body of `io_uring_get_sqe`,
        // `__io_uring_peek_cqe` the body of `io_uring_peek_cqe`.
        .allowlist_function("_{0,2}io_uring_.*")
        .allowlist_type("io_uring.*")
        .allowlist_var("IORING_.*|IOSQE_.*")
        .generate();
    println!("cargo:rustc-link-lib=uring");
}
