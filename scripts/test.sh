#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests and end-to-end tests
# that drive the real clang, rustc, llvm-link and linker, the kernel-style
# Makefile example, and Debian's Linux 6.12 built three ways and booted
# under QEMU for x86_64 and arm64 (scripts/linux.sh; about 10 and 7 minutes
# cold on 2 cores, seconds when its trees under target/linux are kept).
#
# CINLINE_TEST_KERNEL=0 leaves the kernels out, for a quicker local run; it
# says so. CI never sets it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked
cargo test --release --locked --workspace
"${CARGO_TARGET_DIR:-target}/release/cinline" doctor
export PATH="$HOME/.cargo/bin:$PATH"
make -C examples/kernel-style clean test
if [ "${CINLINE_TEST_KERNEL:-1}" = 0 ]; then
    echo "test.sh: the Linux kernel builds were left out (CINLINE_TEST_KERNEL=0)" >&2
else
    scripts/linux.sh x86_64
    scripts/linux.sh arm64
fi
