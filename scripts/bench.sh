#!/usr/bin/env bash
# The benchmark: builds bench/workloads in five modes (plain, cinline,
# cinline-llvm-tools, xlto, native), each through cargo or cargo cinline;
# measures instructions and time per operation, code size, clean builds and
# rebuilds (release and dev profile, the workloads and examples/liburing) as
# ratios to plain of interleaved runs; writes bench/RESULTS.md and
# bench/results.json. About 10 minutes on 2 cores (more when the machine is
# busy). Not part of `cargo test`.
#
#   scripts/bench.sh                          # everything
#   scripts/bench.sh --clean-builds 0         # reuse bench/target (no clean build times)
#   scripts/bench.sh --modes plain,cinline --runs 3 --rebuilds 3
#   scripts/bench.sh --help                   # the harness's options
#   scripts/bench.sh --pool a.json b.json     # earlier runs' rounds together; builds nothing
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

harness=bench/harness/target/release/cinline-bench
build_harness() {
    cargo build --release --locked -q --manifest-path bench/harness/Cargo.toml --target-dir bench/harness/target
}

# Pooling earlier runs reads their results.json only: the harness alone.
for arg in "$@"; do
    if [ "$arg" = --pool ]; then
        build_harness
        exec "$harness" "$@"
    fi
done

# 1. Machine: the same packages as the tests (root or sudo only if missing).
scripts/setup.sh
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" != 0 ]; then
    echo "bench: io_uring is disabled here (kernel.io_uring_disabled): the uring workload's runtime will be reported unavailable" >&2
fi

# 2. cinline (cinline, cargo-cinline) and the harness.
target="${CARGO_TARGET_DIR:-$repo/target}"
cargo build --release --locked -q -p cinline
"$target/release/cinline" doctor >/dev/null || {
    echo "bench: 'cinline doctor' failed: run it to see why" >&2
    exit 1
}
build_harness

# 3. Run.
exec "$harness" --cinline-dir "$target/release" "$@"
