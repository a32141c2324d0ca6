#!/usr/bin/env bash
# Long differential runs, not part of the tests: random csmith programs as
# helpers called from two separately linked Rust objects, built out of line
# and with cinline (both engines), outputs compared
# (crates/cinline/tests/differential.rs).
#
#   scripts/fuzz.sh [SEEDS [FIRST_SEED]]    default: 200 programs from seed 1000
#
# About 5 s a program on 2 cores. Exit 0 only if every program that runs out
# of line prints the same with cinline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CINLINE_CSMITH_SEEDS="${1:-200}" CINLINE_CSMITH_FIRST_SEED="${2:-1000}"
cargo test --release --locked -p cinline --test differential -- --nocapture
