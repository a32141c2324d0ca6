#!/usr/bin/env bash
# Long runs of the trust tests, not part of the test suite:
#  - csmith differential: random C programs as helpers called from two
#    separately linked Rust objects, built out of line and with cinline
#    (both engines), outputs compared (crates/cinline/tests/differential.rs);
#  - fault matrix: damaged bitcode fed to `cinline link` and `report`: no
#    signal, no panic, an error naming the file (tests/fault_matrix.rs).
#
#   scripts/fuzz.sh [PROGRAMS [FIRST_SEED [FAULT_CASES]]]
#       default: 200 programs from seed 1000, 3000 damaged files
#
# About 4 s a program and 0.1 s a damaged file on 2 cores. Exit 0 only if
# every comparable program prints the same with cinline and every damaged
# file is handled.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CINLINE_CSMITH_SEEDS="${1:-200}" CINLINE_CSMITH_FIRST_SEED="${2:-1000}"
export CINLINE_FAULT_CASES="${3:-3000}" CINLINE_FAULT_SEED="${CINLINE_FAULT_SEED:-$RANDOM}"
echo "fuzz: fault seed $CINLINE_FAULT_SEED" >&2
cargo test --release --locked -p cinline --test differential --test fault_matrix -- --nocapture
