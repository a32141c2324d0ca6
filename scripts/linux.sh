#!/usr/bin/env bash
# scripts/linux.sh ARCH (x86_64 or arm64): Debian's Linux 6.12 with Rust,
# built three ways and booted under QEMU:
#
#   stock       6.12 as it is: Rust calls the C helpers out of line
#   kernelway   Linux 7.1's RUST_INLINE_HELPERS rules (llvm-link --internalize, clang -c)
#   cinline     cinline cc / cinline link (helpers inlined, helpers.o kept)
#
# The Kbuild change is examples/linux/kbuild.patch plus
# examples/linux/Makefile.rust-inline; the variant is the make variable
# RUST_INLINE_HELPERS (unset, kernel, cinline), so all three trees have the
# same .config.  Everything goes to target/linux/ARCH/: the source
# (linux-source-6.12/), the build trees (build = cinline, build-stock,
# build-kernelway; the last two start as copies of the built stock tree;
# all are kept, so a second run is incremental), the boot logs
# (boot.log = cinline) and table.md.  Exits non-zero if anything fails,
# including a boot that does not print every sample's message.
set -euo pipefail

usage() {
    echo "usage: scripts/linux.sh x86_64|arm64" >&2
    exit 2
}
[ $# -eq 1 ] || usage
ARCH_NAME=$1
case "$ARCH_NAME" in
    x86_64) KARCH=x86_64 CLANG_TARGET=x86_64-linux-gnu IMAGE=arch/x86/boot/bzImage ;;
    arm64) KARCH=arm64 CLANG_TARGET=aarch64-linux-gnu IMAGE=arch/arm64/boot/Image ;;
    *) usage ;;
esac

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EXAMPLE=$REPO/examples/linux
TOP=$REPO/target/linux/$ARCH_NAME
SRC=$TOP/linux-source-6.12
TARBALL=/usr/src/linux-source-6.12.tar.xz
CINLINE=$REPO/target/release/cinline
LLVM_BIN=/usr/lib/llvm-22/bin
VARIANTS=(stock kernelway cinline)
JOBS=$(nproc)

# The kernel's Rust needs a rustc whose `core` source matches it: Debian's
# rustc-web (1.96, LLVM 22) with rust-web-src; rustup's toolchain has no
# rust-src.  It is given to make and to cinline, not exported: cinline
# itself is built by the usual cargo.  bindgen-cli comes from cargo
# (scripts/setup.sh installs it).
KERNEL_RUSTC=/usr/bin/rustc
export LIBCLANG_PATH=/usr/lib/llvm-22/lib
export PATH="$HOME/.cargo/bin:$PATH"

log() { echo "linux.sh [$ARCH_NAME]: $*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s; }

# Debian packages: what scripts/setup.sh installs (clang-22, llvm-22, lld,
# libclang, bindgen-cli) plus the kernel's source and build tools, Debian's
# rustc and QEMU.  Installs only what is missing.
install_packages() {
    "$REPO/scripts/setup.sh"
    local packages=(linux-source-6.12 rustc-web rust-web-src flex bison bc libelf-dev libssl-dev cpio
        qemu-system-x86 qemu-system-arm)
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    # QEMU's packages must be of one release: an image may carry a newer
    # qemu-utils (backports) that Breaks the qemu-system-common of its
    # Debian release; then ask for the matching qemu-utils too.
    local pins=() installed candidate
    installed=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)
    candidate=$(apt-cache policy qemu-system-common | awk '/Candidate:/ {print $2}')
    if [ -n "$installed" ] && [ -n "$candidate" ] && [ "$installed" != "$candidate" ]; then
        pins=("qemu-utils=$candidate")
    fi
    log "installing ${missing[*]} ${pins[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends --allow-downgrades \
        "${missing[@]}" "${pins[@]}" >/dev/null
}

# Every tool the build and the checks run; a missing one is a failure.
check_tools() {
    local tool
    for tool in "$KERNEL_RUSTC" bindgen clang-22 ld.lld-22 "$LLVM_BIN/llvm-link" "$LLVM_BIN/llvm-objdump" \
        "$LLVM_BIN/llvm-nm" "$LLVM_BIN/llvm-size" flex bison bc "qemu-system-$([ "$ARCH_NAME" = arm64 ] && echo aarch64 || echo x86_64)"; do
        command -v "$tool" >/dev/null || die "$tool not found"
    done
    [ -f "$TARBALL" ] || die "$TARBALL not found (package linux-source-6.12)"
    [ -d /usr/src/rustc-1.96.0/library ] || die "Rust's library source not found (package rust-web-src)"
}

build_cinline() {
    log "cargo build --release (cinline)"
    (cd "$REPO" && cargo build --release -q)
    [ -x "$CINLINE" ] || die "$CINLINE not built"
}

# Unpacks Debian's kernel source once and applies the Kbuild change; when
# the patch changes, the old one is reversed and the new one applied (only
# those files change, so the trees stay incremental).  The make fragment is
# copied on every run (Kbuild's if_changed rebuilds what its commands change).
unpack_kernel() {
    local stamp=$SRC/.cinline-kbuild-patch
    if [ ! -f "$stamp" ]; then
        log "unpacking $TARBALL into $TOP, applying examples/linux/kbuild.patch"
        rm -rf "$SRC"
        mkdir -p "$TOP"
        tar -xf "$TARBALL" -C "$TOP"
        patch -s -d "$SRC" -p1 < "$EXAMPLE/kbuild.patch"
        cp "$EXAMPLE/kbuild.patch" "$stamp"
    elif ! cmp -s "$stamp" "$EXAMPLE/kbuild.patch"; then
        log "examples/linux/kbuild.patch changed: reversing the old one, applying it"
        patch -s -R -d "$SRC" -p1 < "$stamp"
        patch -s -d "$SRC" -p1 < "$EXAMPLE/kbuild.patch"
        cp "$EXAMPLE/kbuild.patch" "$stamp"
    fi
    cp "$EXAMPLE/Makefile.rust-inline" "$SRC/scripts/Makefile.rust-inline"
}

tree_of() {
    case "$1" in
        cinline) echo "$TOP/build" ;;
        *) echo "$TOP/build-$1" ;;
    esac
}

# make in the source for build tree $1 with the variant's RUST_INLINE_HELPERS.
kmake() {
    local variant=$1
    shift
    local inline=()
    case "$variant" in
        kernelway) inline=(RUST_INLINE_HELPERS=kernel) ;;
        cinline) inline=(RUST_INLINE_HELPERS=cinline "CINLINE=$CINLINE") ;;
    esac
    make -C "$SRC" O="$(tree_of "$variant")" ARCH="$KARCH" LLVM=-22 RUSTC="$KERNEL_RUSTC" "${inline[@]}" "$@"
}

# A new kernelway or cinline tree starts as a copy of the built stock tree
# (timestamps kept): the three share .config and every C command, so Kbuild
# (if_changed: a command that differs, a newer prerequisite) rebuilds only
# what the variant changes: the helpers' bitcode, the Rust objects, the
# exports and what links them.  The same result as a build from scratch, in
# a fraction of its time.
seed_from_stock() {
    local variant=$1 tree stock
    tree=$(tree_of "$variant")
    stock=$(tree_of stock)
    [ "$variant" != stock ] && [ ! -e "$tree" ] && [ -f "$stock/vmlinux" ] || return 0
    log "seeding $tree from $stock"
    cp -a "$stock" "$tree"
    rm -f "$tree/build.log"
}

# tinyconfig plus examples/linux/rust.config and ARCH.config; fails if an
# option did not stick (a dependency missing).  Redone when they change.
configure() {
    local variant=$1 tree
    tree=$(tree_of "$variant")
    local fragment=$tree/.cinline-config
    mkdir -p "$tree"
    cat "$EXAMPLE/rust.config" "$EXAMPLE/$ARCH_NAME.config" > "$fragment.new"
    if [ -f "$tree/.config" ] && cmp -s "$fragment" "$fragment.new"; then
        rm "$fragment.new"
        return 0
    fi
    log "configuring $tree"
    kmake "$variant" -s tinyconfig
    # Twice: the first olddefconfig can drop options whose dependencies the
    # same fragment enables (the samples).
    local pass
    for pass in 1 2; do
        "$SRC/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment.new" >/dev/null
        kmake "$variant" -s olddefconfig
    done
    local line
    while read -r line; do
        case "$line" in CONFIG_*) grep -qx "$line" "$tree/.config" || die "$line did not stick in $tree/.config" ;; esac
    done < "$fragment.new"
    mv "$fragment.new" "$fragment"
}

# Builds vmlinux, the modules and the boot image; the log is in the tree.
build() {
    local variant=$1 tree start
    tree=$(tree_of "$variant")
    log "building $variant in $tree (log: $tree/build.log)"
    start=$(now)
    if ! kmake "$variant" -j"$JOBS" vmlinux modules "$(basename "$IMAGE")" > "$tree/build.log" 2>&1; then
        tail -40 "$tree/build.log" >&2
        die "$variant build failed (see $tree/build.log)"
    fi
    grep -E "warning: .*(cinline|helper)" "$tree/build.log" >&2 || true
    log "built $variant in $(($(now) - start)) s"
}

# The initramfs: /init (examples/linux/init.c, with the kernel's nolibc and
# the tree's UAPI headers), /dev/console, and the rust_print module.
make_initramfs() {
    local variant=$1 tree
    tree=$(tree_of "$variant")
    kmake "$variant" -s headers
    clang-22 --target="$CLANG_TARGET" -Os -ffreestanding -fno-builtin -fno-stack-protector \
        -nostdlib -static -fuse-ld=lld \
        -include "$SRC/tools/include/nolibc/nolibc.h" -I "$tree/usr/include" \
        "$EXAMPLE/init.c" -o "$tree/test-init"
    cat > "$tree/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
file /init $tree/test-init 0755 0 0
file /rust_print.ko $tree/samples/rust/rust_print.ko 0644 0 0
EOF
    "$tree/usr/gen_init_cpio" "$tree/initramfs.list" > "$tree/initramfs.cpio"
}

# Boots under QEMU (TCG); /init loads the module and restarts the machine,
# which -no-reboot turns into QEMU's exit.  Fails unless every sample's
# message is in the log.
boot() {
    local variant=$1 tree logfile
    tree=$(tree_of "$variant")
    logfile=$TOP/boot-$variant.log
    [ "$variant" = cinline ] && logfile=$TOP/boot.log
    local qemu
    case "$ARCH_NAME" in
        x86_64) qemu=(qemu-system-x86_64 -append "console=ttyS0 panic=-1") ;;
        arm64) qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57 -append "console=ttyAMA0 panic=-1") ;;
    esac
    log "booting $variant (console: $logfile)"
    if ! timeout 120 "${qemu[@]}" -nographic -no-reboot -m 256 \
        -kernel "$tree/$IMAGE" -initrd "$tree/initramfs.cpio" < /dev/null > "$logfile" 2>&1; then
        tail -20 "$logfile" >&2
        die "$variant: QEMU failed or timed out (see $logfile)"
    fi
    local msg
    for msg in "rust_minimal: Rust minimal sample (init)" "Rust null_blk loaded" \
        "rust_print: Rust printing macros sample (init)" "rust_print: Info message (level 6) with args" \
        "init: /rust_print.ko loaded" "reboot: Restarting system"; do
        grep -qF "$msg" "$logfile" || { tail -20 "$logfile" >&2; die "$variant: '$msg' not in $logfile"; }
    done
}

# One row of the table: calls from Rust functions (v0-mangled, _R...) to
# rust_helper_* in vmlinux's disassembly (calls and tail jumps); local
# (internalized) helper copies in vmlinux's symbol table; helper symbols
# left undefined in the modules; vmlinux's text (llvm-size: .text is padded
# to 2 MiB, so also the summed sizes of its functions, and of the Rust
# ones among them); and the summed wall
# time of the Rust objects' commands (rust/kernel.o and every object built
# from a .rs: rustc, plus llvm-link/clang or cinline link), which
# Makefile.rust-inline records per object.
measure() {
    local variant=$1 tree calls copies undefined text code seconds
    tree=$(tree_of "$variant")
    calls=$("$LLVM_BIN/llvm-objdump" -d --no-show-raw-insn "$tree/vmlinux" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
        fn ~ /^<_R/ && /\t(call|jmp|bl|b)[a-z]*\t(0x)?[0-9a-f]+ <rust_helper_[A-Za-z0-9_]+>$/ { n++ }
        END { print n + 0 }')
    copies=$("$LLVM_BIN/llvm-nm" "$tree/vmlinux" | awk '$2 == "t" && $3 ~ /^rust_helper_/' | wc -l)
    undefined=$(find "$tree" -name '*.ko' -exec "$LLVM_BIN/llvm-nm" -u {} + | grep -c ' rust_helper_' || true)
    text=$("$LLVM_BIN/llvm-size" "$tree/vmlinux" | awk 'NR == 2 { print $1 }')
    code=$("$LLVM_BIN/llvm-nm" -S --radix=d "$tree/vmlinux" | awk '
        NF == 4 && $3 ~ /^[tTwW]$/ { all += $2; if ($4 ~ /^_R/) rust += $2 }
        END { printf "%d (%d)", all, rust }')
    seconds=$(find "$tree" -name '.*.o.ms' -exec cat {} + | awk '{ s += $1; n++ } END { printf "%.1f s (%d objects)", s / 1000, n }')
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$variant" "$calls" "$copies" "$undefined" "$text" "$code" "$seconds"
}

# cinline's own account of the Rust objects it linked: calls left and why.
report() {
    local tree obj bc helpers
    tree=$(tree_of cinline)
    : > "$TOP/report.txt"
    for obj in "$tree/rust/kernel.o" "$tree/samples/rust/rust_minimal.o" "$tree/drivers/block/rnull.o" \
        "$tree/samples/rust/rust_print.o"; do
        bc=${obj%.o}.bc
        helpers=$tree/rust/helpers/helpers.bc
        [ "$(basename "$obj")" = rust_print.o ] && helpers=$tree/rust/helpers/helpers_module.bc
        RUSTC=$KERNEL_RUSTC "$CINLINE" report "$obj" --helpers "$helpers" --crate "$bc" >> "$TOP/report.txt"
    done
    log "cinline report (also in $TOP/report.txt):"
    sed 's/^/    /' "$TOP/report.txt" >&2
}

main() {
    local start variant
    start=$(now)
    install_packages
    check_tools
    build_cinline
    mkdir -p "$TOP"
    # The rustc-llvm engine must load Debian rustc's libLLVM (through
    # librustc_driver), or attribute reconciliation would be off.
    RUSTC=$KERNEL_RUSTC "$CINLINE" doctor > "$TOP/doctor.txt" 2>&1 ||
        { cat "$TOP/doctor.txt" >&2; die "cinline doctor failed with RUSTC=$KERNEL_RUSTC"; }
    unpack_kernel
    for variant in "${VARIANTS[@]}"; do
        seed_from_stock "$variant"
        configure "$variant"
        build "$variant"
        make_initramfs "$variant"
        boot "$variant"
    done
    report
    {
        echo "Linux $(make -s -C "$SRC" kernelversion) $ARCH_NAME, tinyconfig + Rust (examples/linux/*.config), LLVM 22, $("$KERNEL_RUSTC" --version | cut -d' ' -f1-2)"
        echo
        echo "| variant | calls to rust_helper_* from Rust in vmlinux | local helper copies | undefined helpers in modules | text (llvm-size) | functions' code (Rust's), bytes | Rust objects' build |"
        echo "|---|---|---|---|---|---|---|"
        for variant in "${VARIANTS[@]}"; do measure "$variant"; done
    } > "$TOP/table.md"
    cat "$TOP/table.md"
    log "all three variants boot; done in $(($(now) - start)) s"
}

# One compound command: bash parses it whole before running it, so editing
# this file during a run cannot change what the run does after main.
{ main; exit $?; }
