#!/bin/sh
# /init of the VM test's initramfs (Scripts/vm-test.sh): sets up gpio-sim, i2c-stub and the SPI loopback,
# exports where they are, runs the backend tests and `neuronctl probe`, then the libgpiod shim's C checks against
# libgpiod 1.6 and 2.x (gpiod-shim-test-v1/-v2), prints the verdict, powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t configfs configfs /sys/kernel/config
cd /vm
verdict() {
    echo "NEURONHIL-VM-RESULT: $1"
    sync
    reboot -f
}
fail() { echo "vm: $*"; verdict FAIL; }

# A gpio-sim chip with one bank: NAME LINES NAMED PREFIX [LABEL]: LINES lines, the first NAMED of them named
# PREFIX0, PREFIX1, ... Sets sim_chip (gpiochipN) and sim_dir (its sysfs directory, where the pulls are set).
sim_bank() {
    d=/sys/kernel/config/gpio-sim/$1
    mkdir "$d" "$d/bank0" || return 1
    echo "$2" >"$d/bank0/num_lines"
    [ -z "${5:-}" ] || echo "$5" >"$d/bank0/label"
    i=0
    while [ $i -lt "$3" ]; do
        mkdir "$d/bank0/line$i"
        echo "$4$i" >"$d/bank0/line$i/name"
        i=$((i + 1))
    done
    echo 1 >"$d/live" || return 1
    sim_chip=$(cat "$d/bank0/chip_name")
    sim_dir=/sys/devices/platform/$(cat "$d/dev_name")/$sim_chip
}

# gpio-sim: one bank of 28 lines named like a Raspberry Pi header (GPIO0..GPIO27).
sim_bank neuron 28 28 GPIO || fail "gpio-sim configfs is missing or the chip did not go live"
chip=$sim_chip
export NEURONHIL_VM_GPIOCHIP=/dev/$chip
export NEURONHIL_VM_GPIOSIM=$sim_dir

# i2c-stub: ADS1015 at 0x48, ADS1115 at 0x49, MCP4725 at 0x60.
insmod /vm/i2c-stub.ko chip_addr=0x48,0x49,0x60 || fail "insmod i2c-stub"
for a in /sys/class/i2c-dev/i2c-*; do
    if grep -q "SMBus stub" "$a/name"; then export NEURONHIL_VM_I2C=/dev/$(basename "$a"); fi
done
[ -n "$NEURONHIL_VM_I2C" ] || fail "no i2c-stub adapter"

# Software SPI controller on bus 0 answering as an MCP3208.
export NEURONHIL_VM_SPI_CODES=1241,0,4095,2048,1,2730,100,3000
insmod /vm/spi-neuron-loopback.ko bus_num=0 mode=mcp3208 codes=$NEURONHIL_VM_SPI_CODES || fail "insmod spi-neuron-loopback"
export NEURONHIL_VM_SPI=/dev/spidev0.0
n=0
while [ ! -e "$NEURONHIL_VM_SPI" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -e "$NEURONHIL_VM_SPI" ] || fail "no $NEURONHIL_VM_SPI"

# The board file of this VM: the Raspberry Pi 4 reference wiring on these devices.
sed -e "s|/dev/i2c-1|$NEURONHIL_VM_I2C|" -e "s|chip: gpiochip0 .*|chip: $chip|" \
    -e "s|name: rpi4|name: vm-rpi4|" /vm/rpi4.yaml >/vm/vm-board.yaml
export NEURONHIL_VM_BOARD=/vm/vm-board.yaml
export NEURONHIL_VM=1
echo "vm: gpio $NEURONHIL_VM_GPIOCHIP ($NEURONHIL_VM_GPIOSIM), i2c $NEURONHIL_VM_I2C, spi $NEURONHIL_VM_SPI"

status=PASS
echo "== backend tests (the VM suites of NeuronLinuxTests; the seam suites run on the host)"
/vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/NeuronHILPackageTests.xctest \
    --testing-library swift-testing --filter 'NeuronLinuxTests\.VM' >/tmp/tests.txt 2>&1 || status=FAIL
cat /tmp/tests.txt
# A filter that matched nothing would "pass" with zero tests.
grep -q "Test run with [1-9][0-9]* tests" /tmp/tests.txt || { echo "vm: no backend test ran"; status=FAIL; }
echo "== neuronctl probe --board vm-board.yaml"
/vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/neuronctl probe --board /vm/vm-board.yaml || status=FAIL
# The probe must also name a fault and its fix when a chip is missing: move the DAC to an empty address.
sed -e "s|address: 0x60 .*|address: 0x62|" /vm/vm-board.yaml >/vm/vm-board-fault.yaml
echo "== neuronctl probe with the DAC moved to an empty address (must fail, naming it)"
if /vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/neuronctl probe --board /vm/vm-board-fault.yaml >/tmp/probe.txt; then
    cat /tmp/probe.txt; echo "vm: probe passed a board with a missing chip"; status=FAIL
else
    cat /tmp/probe.txt
    grep -q "chip dac0 at .*@ 0x62: .*no acknowledge (address).* Fix: " /tmp/probe.txt || { echo "vm: probe did not name the fault and fix"; status=FAIL; }
fi

# The libgpiod shim's C checks (Scripts/vm/gpiod-shim-test.c), built once against each library: bookworm's 1.6 (the
# branch the tests above use) and trixie's 2.x (current Raspberry Pi OS). Each build gets a fresh gpio-sim bank of
# 8 lines (SHIM0..SHIM6 and an unnamed one) with a label of its own.
for api in 1 2; do
    echo "== libgpiod $api.x through the shim (gpiod-shim-test-v$api)"
    if ! sim_bank shim-v$api 8 7 SHIM neuronhil-shim-v$api; then
        echo "vm: no gpio-sim bank for the v$api shim checks"
        status=FAIL
        continue
    fi
    t0=$(cut -d' ' -f1 /proc/uptime)
    /vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/gpiod-shim-test-v$api \
        $api /dev/$sim_chip $sim_dir neuronhil-shim-v$api >/tmp/shim.txt 2>&1 || status=FAIL
    t1=$(cut -d' ' -f1 /proc/uptime)
    cat /tmp/shim.txt
    echo "vm: the libgpiod $api.x shim checks took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
    # A binary that died early would print no summary.
    grep -q "^\[gpiod v$api\] libgpiod $api\..*: [1-9][0-9]* checks, 0 failed: PASS$" /tmp/shim.txt || {
        echo "vm: the libgpiod $api.x shim checks did not pass"
        status=FAIL
    }
done
verdict $status
