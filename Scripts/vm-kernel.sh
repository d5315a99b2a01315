#!/usr/bin/env bash
# Builds (or reuses) the minimal kernel for the VM test (Scripts/vm-test.sh) and the out-of-tree
# spi-neuron-loopback module, from Debian's linux-source-6.1 package, and prints the directory holding
#   bzImage  i2c-stub.ko  spi-neuron-loopback.ko  config
#
# The build is cached under ~/.cache/neuronhil/vm/kernel-<hash>, where the hash covers every input: the linux-source
# package version (Debian replaces linux-source-6.1 on security updates, so whatever version is installed is
# used), the config fragment, the module source, this script and the compiler version. About 3 minutes on
# 2 cores the first time; instant afterwards.
#
# Needs: linux-source-6.1 flex bison bc libelf-dev cpio xz-utils gcc make (Scripts/test.sh installs them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the checkout, so a fresh clone on the same machine (CI) reuses a kernel built for the same inputs.
cache="${NEURONHIL_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/neuronhil/vm}"
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$tarball" ]; then
    echo "error: /usr/src/linux-source-6.1.tar.xz is missing. Fix: apt-get install linux-source-6.1" >&2
    exit 2
fi
version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
hash=$( { echo "$version"; cat "$root/Scripts/vm/kernel.config" "$root/Scripts/vm/spi-neuron-loopback/"* "$0"; gcc --version | head -1; } | sha256sum | cut -c1-16)
out="$cache/kernel-$hash"
if [ -f "$out/bzImage" ] && [ -f "$out/i2c-stub.ko" ] && [ -f "$out/spi-neuron-loopback.ko" ]; then
    echo "$out"
    exit 0
fi

work="$cache/build-$hash"
rm -rf "$work"
mkdir -p "$work"
log="$work/build.log"
echo "vm-kernel: building linux-source-6.1 $version (allnoconfig + Scripts/vm/kernel.config) in $work" >&2
tar -C "$work" -xf "$tarball"
src="$work/linux-source-6.1"
jobs=$(nproc)
{
    make -C "$src" ARCH=x86_64 allnoconfig
    "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$root/Scripts/vm/kernel.config"
    make -C "$src" ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }
# Every line of the fragment must have survived olddefconfig (a dependency missing would silently drop it).
missing=0
while IFS= read -r line; do
    case "$line" in CONFIG_*) grep -qx "$line" "$src/.config" || { echo "vm-kernel: $line did not take" >&2; missing=1; } ;; esac
done <"$root/Scripts/vm/kernel.config"
[ "$missing" = 0 ] || exit 1
if ! make -C "$src" ARCH=x86_64 -j"$jobs" bzImage modules >>"$log" 2>&1; then
    tail -40 "$log" >&2
    exit 1
fi
mod="$work/spi-neuron-loopback"
cp -r "$root/Scripts/vm/spi-neuron-loopback" "$mod"
if ! make -C "$src" ARCH=x86_64 M="$mod" modules >>"$log" 2>&1; then
    tail -40 "$log" >&2
    exit 1
fi
mkdir -p "$out.tmp"
cp "$src/arch/x86/boot/bzImage" "$src/drivers/i2c/i2c-stub.ko" "$mod/spi-neuron-loopback.ko" "$out.tmp/"
cp "$src/.config" "$out.tmp/config"
rm -rf "$out"
mv "$out.tmp" "$out"
# Keep only this build: older kernels and the 1+ GB source tree are dropped, in the background (deleting the tree
# takes about a minute on a slow disk; a leftover is removed by the next build).
find "$cache" -mindepth 1 -maxdepth 1 ! -name "kernel-$hash" -exec rm -rf {} + </dev/null >/dev/null 2>&1 &
echo "$out"
