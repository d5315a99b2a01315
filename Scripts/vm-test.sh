#!/usr/bin/env bash
# The VM test: the real Linux backends (libgpiod, i2c-dev + libi2c, spidev) against a real kernel's own simulated
# devices (gpio-sim, i2c-stub, the spi-neuron-loopback controller), under qemu TCG. Exits non-zero unless every
# backend test and both `neuronctl probe` runs inside the VM passed.
#
#   Scripts/vm-test.sh [--scratch-path DIR]   (default: SwiftPM's .build; the tests must already be built)
#
# 1. Scripts/vm-kernel.sh builds or reuses the kernel (cached under ~/.cache/neuronhil/vm by a hash of its inputs).
# 2. The SwiftPM test bundle and neuronctl, with the shared libraries `ldd` lists (the toolchain's Swift runtime,
#    libgpiod, libi2c, glibc) and the dynamic loader, are packed with busybox into an initramfs; debug info is
#    stripped from the copies.
# 3. qemu boots it with `-accel tcg -M pc` (KVM guests hang on this kind of machine), Scripts/vm/init.sh runs the
#    tests, prints NEURONHIL-VM-RESULT: PASS or FAIL and reboots, which ends qemu (-no-reboot).
#
# Needs: qemu-system-x86 busybox-static cpio plus what vm-kernel.sh needs (Scripts/test.sh installs them).
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
for f in "$tests" "$ctl"; do
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
cp "$kernel/i2c-stub.ko" "$kernel/spi-neuron-loopback.ko" "$root/Boards/rpi4.yaml" "$rootfs/vm/"
for f in "$tests" "$ctl"; do
    strip --strip-debug -o "$rootfs/vm/$(basename "$f")" "$f"
    ldd "$f" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' | while read -r lib; do
        [ -e "$rootfs/vm/lib/$(basename "$lib")" ] || strip --strip-debug -o "$rootfs/vm/lib/$(basename "$lib")" "$lib"
    done
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
