#!/usr/bin/env bash
# Sets up the machine, builds cinline, and walks through the by-hand flow on
# tests/fixtures/sample: 19 C helpers (atomics, asm goto, _Generic, ...)
# called from a #![no_std] Rust crate, out of line and then inlined.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --locked -q
cinline="$PWD/target/release/cinline"
src="$PWD/tests/fixtures/sample"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
rustc_flags=(--edition=2021 --crate-type=lib -Copt-level=2 -Cpanic=abort --crate-name=sample)

echo "== 1. Is this machine ready?"
step "$cinline" doctor

echo; echo "== 2. The usual way: helpers in a C object, called out of line"
step rustc "${rustc_flags[@]}" --emit=obj -o sample_plain.o "$src/sample.rs"
step clang-22 -O2 -c "$src/helpers.c" -o helpers.o
step clang-22 "$src/main.c" sample_plain.o helpers.o -o prog_plain

echo; echo "== 3. With cinline: helpers to bitcode, crate to bitcode, link, inline"
step "$cinline" cc "$src/helpers.c" -o helpers.bc
step rustc "${rustc_flags[@]}" --emit=llvm-bc -o sample.bc "$src/sample.rs"
step "$cinline" link sample.bc --helpers helpers.bc -o sample.o
step clang-22 "$src/main.c" sample.o -o prog_inlined

echo; echo "== 4. Proof: no helper left in the object, same output"
step "$cinline" report sample.o sample_plain.o --helpers helpers.bc
./prog_plain > plain.txt
./prog_inlined > inlined.txt
step diff plain.txt inlined.txt && echo "same output ($(wc -l < plain.txt) lines)"
step "$cinline" report sample.o --helpers helpers.bc --deny-not-inlined
