#!/bin/sh
# /init of the VM test's initramfs (Scripts/vm-test.sh): sets up gpio-sim, i2c-stub and the SPI loopback,
# exports where they are, runs the backend tests and `neuronctl probe`, a `neuronctl run` and a two-neuron
# `neuronctl network` against the neuron emulator (neuronhil-vm-neuron), then the libgpiod shim's C checks against
# libgpiod 1.6 and 2.x (gpiod-shim-test-v1/-v2), prints the verdict, powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t configfs configfs /sys/kernel/config
cd /vm
verdict() {
    step end
    echo "NEURONHIL-VM-RESULT: $1"
    sync
    reboot -f
}
fail() { echo "vm: $*"; verdict FAIL; }

# Per-step timings, so a slow VM test shows where its time goes: `step NAME` ends the previous step.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "vm: kernel booted to /init in $(uptime_s) s"
step_name=setup
step_t0=$(uptime_s)
step() {
    t=$(uptime_s)
    echo "vm: step $step_name took $(awk "BEGIN { printf \"%.2f\", $t - $step_t0 }") s"
    step_name=$1
    step_t0=$t
}
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

# i2c-stub: ADS1015 at 0x48, ADS1115 at 0x49, MCP4725 at 0x60 and 0x63 (the second neuron of the network run).
insmod /vm/i2c-stub.ko chip_addr=0x48,0x49,0x60,0x63 || fail "insmod i2c-stub"
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
    -e "s|name: rpi4|name: vm-rpi4|" -e "s|max-pulse-width-ms: .*|max-pulse-width-ms: 100|" /vm/rpi4.yaml >/vm/vm-board.yaml
export NEURONHIL_VM_BOARD=/vm/vm-board.yaml
export NEURONHIL_VM=1
echo "vm: gpio $NEURONHIL_VM_GPIOCHIP ($NEURONHIL_VM_GPIOSIM), i2c $NEURONHIL_VM_I2C, spi $NEURONHIL_VM_SPI"

status=PASS
step backend-tests
echo "== backend tests (the VM suites of NeuronLinuxTests; the seam suites run on the host)"
/vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/NeuronHILPackageTests.xctest \
    --testing-library swift-testing --filter 'NeuronLinuxTests\.VM' >/tmp/tests.txt 2>&1 || status=FAIL
cat /tmp/tests.txt
# A filter that matched nothing would "pass" with zero tests.
grep -q "Test run with [1-9][0-9]* tests" /tmp/tests.txt || { echo "vm: no backend test ran"; status=FAIL; }
step probe
echo "== neuronctl probe --board vm-board.yaml"
/vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/neuronctl probe --board /vm/vm-board.yaml || status=FAIL
# The probe must also name a fault and its fix when a chip is missing: move the DAC to an empty address.
sed -e "s|address: 0x60 .*|address: 0x62|" /vm/vm-board.yaml >/vm/vm-board-fault.yaml
step probe-fault
echo "== neuronctl probe with the DAC moved to an empty address (must fail, naming it)"
if /vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/neuronctl probe --board /vm/vm-board-fault.yaml >/tmp/probe.txt; then
    cat /tmp/probe.txt; echo "vm: probe passed a board with a missing chip"; status=FAIL
else
    cat /tmp/probe.txt
    grep -q "chip dac0 at .*@ 0x62: .*no acknowledge (address).* Fix: " /tmp/probe.txt || { echo "vm: probe did not name the fault and fix"; status=FAIL; }
fi

# A full run through the kernel's drivers: neuronctl drives the DACs on i2c-stub (i2c-dev + libi2c), gates the
# stimulus through gpio-sim (libgpiod) and samples the MCP3208 behind spi-neuron-loopback (spidev), while
# neuronhil-vm-neuron reads the DACs through the kernel and answers the ADC with its physics' capacitor voltage
# (deterministic model: every pulse fires once, after 6.9 ms of bias). Timing under TCG is loose: the guest's clock
# runs on while qemu waits for a host CPU, and the loop then catches up, shortening a pulse as the emulator sees it
# by that lag (over 30 ms on a heavily loaded 2-core host). So 80 ms pulses (the VM boards allow 100 ms; the
# emulated neuron needs 6.9 ms), 5 Hz, and 100 samples/s (docs/testing.md, The VM test, says why).
LD="/vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib"
i2cbus=${NEURONHIL_VM_I2C#/dev/i2c-}
start_neurons() {
    rm -f /tmp/neurons.stop
    $LD /vm/neuronhil-vm-neuron --i2c "$NEURONHIL_VM_I2C" --stop /tmp/neurons.stop "$@" >/tmp/neurons.txt 2>&1 &
    neurons_pid=$!
    n=0
    while ! grep -q emulating /tmp/neurons.txt && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
}
stop_neurons() {
    touch /tmp/neurons.stop
    wait $neurons_pid || { echo "vm: the neuron emulator failed"; status=FAIL; }
    cat /tmp/neurons.txt
}
# NAME KEY: the values of "KEY": N in the summary /tmp/NAME.json, one per line (per channel, in order).
values() { grep -o "\"$2\" *: *[0-9][0-9.]*" "/tmp/$1.json" | sed 's/.*: *//'; }
# NAME BLOCK: p50, p99 and max of a latency block of the summary's loop timing (microseconds).
micros() {
    sed -n "/\"$2\"/,/}/p" "/tmp/$1.json" | tr -d '", ' |
        awk -F: '$1 == "p50" { a = $2 } $1 == "p99" { b = $2 } $1 == "max" { c = $2 } END { printf "p50 %s, p99 %s, max %s", a, b, c }'
}
# NAME: what the run's summary and trace say, and the checks common to both runs: completed, the safe state
# reached, and each DAC's safe-state write (code 0, power-down 1 kOhm: register 0x10 = 0x00) in i2c-stub.
check_run() {
    echo "vm: $1: samples $(values "$1" samples), elapsed $(values "$1" elapsed_seconds) s, pulses per channel" \
        $(values "$1" pulses_applied) "spikes" $(values "$1" spikes)
    echo "vm: $1: loop tick $(micros "$1" tick_duration_micros) us; wake-up latency $(micros "$1" wake_latency_micros) us;" \
        "overruns $(values "$1" overruns)"
    sed -n "/\"dac_read_back\"/,/]/p" "/tmp/$1.json" | grep "\"text\""
    for trace in /tmp/$1/trace*.csv; do
        awk -F, '!/^#/ && $1 + 0 == $1 { if (n++) { g = $1 - t; if (g > max) max = g }; t = $1 } END {
            printf "vm: %s: %d samples, longest gap between samples %.2f ms\n", FILENAME, n, 1000 * max }' "$trace"
    done
    grep -q '"termination" *: *"completed"' "/tmp/$1.json" || { echo "vm: $1 did not complete"; status=FAIL; }
    grep -q '"safe_state" *: *"reached' "/tmp/$1.json" || { echo "vm: $1 did not reach the safe state"; status=FAIL; }
    for dac in $2; do
        got=$(i2cget -y "$i2cbus" "$dac" 0x10 b)
        echo "vm: $1: i2cget -y $i2cbus $dac 0x10 (the safe-state register) = $got"
        [ "$got" = 0x00 ] || { echo "vm: $1: DAC $dac does not hold code 0, powered down"; status=FAIL; }
        grep -q "dac $dac: .*last write register 0x10 = 0x00 (0.000 V, powered down)" /tmp/neurons.txt \
            || { echo "vm: $1: the last write the emulator saw on DAC $dac was not the safe state"; status=FAIL; }
    done
}
gate=$NEURONHIL_VM_GPIOSIM/sim_gpio23/value
step run
# The runs' timing figures depend on these (the kernel settles on its clocksource about 1.4 s after boot):
# without high-resolution timers every sleep ends on a 4 ms tick.
echo "vm: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
    "clock event device $(grep -m1 "Clock Event Device:" /proc/timer_list | sed 's/.*: //'), $(grep -m1 hres_active /proc/timer_list | tr -s ' \t')"
echo "== neuronctl run on the VM board: 5 pulses of 0.75 V x 80 ms at 5 Hz, 1 s at 100 samples/s"
start_neurons 0x60:0:"$gate"
t0=$(uptime_s)
$LD /vm/neuronctl run --board /vm/vm-board.yaml --amplitude 0.75 --width 80 --frequency 5 --duration 1 \
    --sample-rate 100 --output /tmp/run --json >/tmp/run.json || { echo "vm: run exited with $?"; status=FAIL; }
t1=$(uptime_s)
stop_neurons
echo "vm: run took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
check_run run 0x60
pulses=$(values run pulses_applied)
spikes=$(values run spikes | head -1)
[ "$pulses" = 5 ] || { echo "vm: run applied $pulses pulses, not 5 (1 s at 5 Hz)"; status=FAIL; }
[ "$spikes" = "$pulses" ] || { echo "vm: run detected $spikes spikes on $pulses pulses (the deterministic neuron fires on every one)"; status=FAIL; }

sed -e "s|I2C_DEVICE|$NEURONHIL_VM_I2C|" -e "s|GPIO_CHIP|$chip|" /vm/vm-two-neurons.yaml >/tmp/vm-two-neurons.yaml
step network
echo "== neuronctl network on two neurons: 5 Hz on neuron 0, each of its spikes a pulse on neuron 1, 1 s"
start_neurons 0x60:0:"$gate" 0x63:1:"$NEURONHIL_VM_GPIOSIM/sim_gpio24/value"
t0=$(uptime_s)
$LD /vm/neuronctl network --board /tmp/vm-two-neurons.yaml --network /vm/vm-two-neuron-loop.yaml --duration 1 \
    --sample-rate 100 --output /tmp/network --json >/tmp/network.json || { echo "vm: network exited with $?"; status=FAIL; }
t1=$(uptime_s)
stop_neurons
echo "vm: network took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
check_run network "0x60 0x63"
set -- $(values network pulses_applied) $(values network spikes)
echo "vm: network: neuron 0 $1 pulses, $3 spikes; neuron 1 $2 pulses, $4 spikes"
[ "${1:-}" = 5 ] || { echo "vm: network applied ${1:-no} pulses to neuron 0, not 5 (1 s at 5 Hz)"; status=FAIL; }
[ "${3:-0}" = "${1:-}" ] && [ "${3:-0}" -gt 0 ] || { echo "vm: neuron 0 did not spike on every pulse"; status=FAIL; }
[ "${2:-}" = "${3:-}" ] || { echo "vm: neuron 1 got ${2:-no} pulses for ${3:-no} spikes of neuron 0"; status=FAIL; }
[ "${4:-0}" = "${2:-}" ] && [ "${4:-0}" -gt 0 ] || { echo "vm: neuron 1 did not spike on every routed pulse"; status=FAIL; }

# The libgpiod shim's C checks (Scripts/vm/gpiod-shim-test.c), built once against each library: bookworm's 1.6 (the
# branch the tests above use) and trixie's 2.x (current Raspberry Pi OS). Each build gets a fresh gpio-sim bank of
# 8 lines (SHIM0..SHIM6 and an unnamed one) with a label of its own.
for api in 1 2; do
    step shim-v$api
    echo "== libgpiod $api.x through the shim (gpiod-shim-test-v$api)"
    if ! sim_bank shim-v$api 8 7 SHIM neuronhil-shim-v$api; then
        echo "vm: no gpio-sim bank for the v$api shim checks"
        status=FAIL
        continue
    fi
    t0=$(uptime_s)
    /vm/lib/ld-linux-x86-64.so.2 --library-path /vm/lib /vm/gpiod-shim-test-v$api \
        $api /dev/$sim_chip $sim_dir neuronhil-shim-v$api >/tmp/shim.txt 2>&1 || status=FAIL
    t1=$(uptime_s)
    cat /tmp/shim.txt
    echo "vm: the libgpiod $api.x shim checks took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
    # A binary that died early would print no summary.
    grep -q "^\[gpiod v$api\] libgpiod $api\..*: [1-9][0-9]* checks, 0 failed: PASS$" /tmp/shim.txt || {
        echo "vm: the libgpiod $api.x shim checks did not pass"
        status=FAIL
    }
done
verdict $status
