#!/usr/bin/env bash
# Installs what cinline's demo and tests need, if missing: Debian's LLVM 22
# (the LLVM of rustc 1.95), clang-16 for cross-version tests, valgrind, csmith
# (random C programs for the differential tests).
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(clang-22 llvm-22 lld-22 libclang-22-dev clang-16 liburing-dev libxdp-dev libspa-0.2-dev libpipewire-0.3-dev pkg-config valgrind make csmith libcsmith-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup" >&2; exit 1; }
# The kernel-style example generates its Rust declarations with bindgen's CLI.
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v bindgen >/dev/null; then
    echo "setup: installing bindgen-cli" >&2
    LIBCLANG_PATH=/usr/lib/llvm-22/lib cargo install -q bindgen-cli --version 0.73.2 --locked
fi
