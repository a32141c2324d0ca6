#!/usr/bin/env bash
# Sets up the machine and runs every test: unit tests and end-to-end tests
# that drive the real clang, rustc, llvm-link and linker.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked
cargo test --release --locked --workspace
"${CARGO_TARGET_DIR:-target}/release/cinline" doctor
export PATH="$HOME/.cargo/bin:$PATH"
make -C examples/kernel-style clean test
