fn main() {
    cinline_build::Builder::new()
        .header("bench.h")
        .allowlist_function("bench_.*")
        .allowlist_type("bench_.*")
        .generate();
}
