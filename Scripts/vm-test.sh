#!/usr/bin/env bash
# The VM test: the real Linux backends (libgpiod, i2c-dev + libi2c, spidev) against a real kernel's own simulated
# devices (gpio-sim, i2c-stub, the spi-neuron-loopback controller), under qemu TCG. Exits non-zero unless every
# backend test, both `neuronctl probe` runs, a `neuronctl run` and a two-neuron `neuronctl network` against the neuron
# emulator (neuronhil-vm-neuron: reads the DACs through i2c-dev, answers the ADC through the SPI module) and the
# libgpiod shim's C checks (both libgpiod branches) inside the VM passed.
#
#   Scripts/vm-test.sh [--scratch-path DIR]   (default: SwiftPM's .build; the tests must already be built)
#
# 1. Scripts/vm-kernel.sh builds or reuses the kernel (cached under ~/.cache/neuronhil/vm by a hash of its inputs).
# 2. The libgpiod shim's C checks (Scripts/vm/gpiod-shim-test.c) are compiled with Sources/CGPIOD/cgpiod.c twice:
#    gpiod-shim-test-v1 against the system's libgpiod 1.6 (bookworm), gpiod-shim-test-v2 against trixie's
#    libgpiod 2.x headers and libgpiod.so.3 from Scripts/fetch-gpiod-v2.sh (downloaded once, cached under
#    ~/.cache/neuronhil/gpiod-v2; it fails loudly without network access to Debian). The Swift build links 1.6 only,
#    so this is where the shim's 2.x branch, the one current Raspberry Pi OS users get, runs.
# 3. The SwiftPM test bundle, neuronctl, neuronhil-vm-neuron and the two shim checks, with the shared libraries `ldd` lists (the
#    toolchain's Swift runtime, libgpiod.so.2 and trixie's libgpiod.so.3, libi2c, glibc) and the dynamic loader, are
#    packed with busybox into an initramfs; debug info is stripped from the copies.
# 4. qemu boots it with `-accel tcg -M pc` (KVM guests hang on this kind of machine), Scripts/vm/init.sh runs the
#    tests and the shim checks, prints NEURONHIL-VM-RESULT: PASS or FAIL and reboots, which ends qemu (-no-reboot).
#
# Needs: qemu-system-x86 busybox-static cpio gcc libgpiod-dev binutils plus what vm-kernel.sh needs
# (Scripts/test.sh installs them), and Debian's archive once for trixie's libgpiod.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch=()
if [ "${1:-}" = "--scratch-path" ]; then scratch=(--scratch-path "$2"); fi
start=$(date +%s)

kernel=$("$root/Scripts/vm-kernel.sh")
bin=$(swift build "${scratch[@]}" --show-bin-path)
tests="$bin/NeuronHILPackageTests.xctest"
ctl="$bin/neuronctl"
emulator="$bin/neuronhil-vm-neuron"
for f in "$tests" "$ctl" "$emulator"; do
    [ -x "$f" ] || { echo "error: $f is missing; build first: swift build --build-tests ${scratch[*]}" >&2; exit 2; }
done
# busybox-static installs /bin/busybox; a dynamically linked busybox would need its libraries in the initramfs.
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
    echo "error: a static /bin/busybox is needed. Fix: apt-get install busybox-static" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/root"
mkdir -p "$rootfs"/{bin,sbin,proc,sys,dev,tmp,vm/lib}
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"; done
cp "$root/Scripts/vm/init.sh" "$rootfs/init"
cp "$kernel/i2c-stub.ko" "$kernel/spi-neuron-loopback.ko" "$root/Boards/rpi4.yaml" "$root/Scripts/vm/vm-two-neurons.yaml" \
    "$root/Scripts/vm/vm-two-neuron-loop.yaml" "$rootfs/vm/"

# The shim's C checks against each libgpiod; the v2 build must load trixie's libgpiod.so.3, the v1 build libgpiod.so.2.
shim_start=$EPOCHREALTIME
gpiod_v2=$("$root/Scripts/fetch-gpiod-v2.sh")
gpiod_v2_lib="$gpiod_v2/usr/lib/$(gcc -print-multiarch)"
for api in 1 2; do
    out="$work/gpiod-shim-test-v$api"
    if [ $api = 2 ]; then
        flags=(-I"$gpiod_v2/usr/include" -L"$gpiod_v2_lib")
        want=libgpiod.so.3
    else
        flags=()
        want=libgpiod.so.2
    fi
    gcc -std=c11 -O2 -Wall -Wextra -Werror "${flags[@]}" -I"$root/Sources/CGPIOD/include" \
        "$root/Scripts/vm/gpiod-shim-test.c" "$root/Sources/CGPIOD/cgpiod.c" -lgpiod -o "$out"
    objdump -p "$out" | awk '$1 == "NEEDED" { print $2 }' | grep -qx "$want" \
        || { echo "error: $out does not link $want" >&2; exit 1; }
done
shim_seconds=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $shim_start }")
echo "vm-test: built the libgpiod shim checks against 1.6 and 2.x in $shim_seconds s"

# FILE [LIBRARY_PATH]: FILE into /vm, and the libraries ldd finds for it (searching LIBRARY_PATH first) into /vm/lib.
pack() {
    strip --strip-debug -o "$rootfs/vm/$(basename "$1")" "$1"
    if [ -n "${2:-}" ]; then env LD_LIBRARY_PATH="$2" ldd "$1"; else ldd "$1"; fi |
        awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | while read -r lib; do
        [ -e "$rootfs/vm/lib/$(basename "$lib")" ] || strip --strip-debug -o "$rootfs/vm/lib/$(basename "$lib")" "$lib"
    done
}
pack "$tests"
pack "$ctl"
pack "$emulator"
pack "$work/gpiod-shim-test-v1"
pack "$work/gpiod-shim-test-v2" "$gpiod_v2_lib"
for so in libgpiod.so.2 libgpiod.so.3; do
    [ -e "$rootfs/vm/lib/$so" ] || { echo "error: $so did not reach the initramfs" >&2; exit 1; }
done
(cd "$rootfs" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"
size=$(du -m "$work/initramfs.cpio" | cut -f1)
echo "vm-test: kernel $kernel, initramfs ${size} MiB, booting qemu (TCG)"

log="$work/console.log"
boot=$(date +%s)
set +e
timeout 600 qemu-system-x86_64 -accel tcg -M pc -m 1536 -smp 1 -nographic -no-reboot -nodefaults -serial stdio \
    -kernel "$kernel/bzImage" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 ${NEURONHIL_VM_KERNEL_ARGS:-quiet loglevel=3}" </dev/null 2>&1 | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e
end=$(date +%s)
echo "vm-test: qemu exited with $qemu_status; boot to power-off $((end - boot)) s, whole script $((end - start)) s"
if grep -q "NEURONHIL-VM-RESULT: PASS" "$log"; then
    echo "vm-test: PASS"
    exit 0
fi
echo "vm-test: FAIL (see the console log above)" >&2
exit 1
