// The real Linux backends against the kernel's own simulated devices, inside the VM of Scripts/vm-test.sh:
// gpio-sim (GPIO character device, uAPI v1 through libgpiod 1.6), i2c-stub (SMBus-only adapter with chips at
// 0x48, 0x49 and 0x60) and spi-neuron-loopback (a software SPI controller answering as an MCP3208).
//
// Skipped unless NEURONHIL_VM=1: they need root, those kernel modules and the paths the VM's init script exports.
// Paths are read from the environment because gpio-sim and i2c-dev number their devices by creation order:
//   NEURONHIL_VM_GPIOCHIP   /dev/gpiochipN of the gpio-sim bank (lines named GPIO22, GPIO23, GPIO27)
//   NEURONHIL_VM_GPIOSIM    /sys/devices/platform/gpio-sim.N/gpiochipN (sim_gpioK/value, sim_gpioK/pull)
//   NEURONHIL_VM_I2C        /dev/i2c-N of i2c-stub
//   NEURONHIL_VM_SPI        /dev/spidevB.0 of spi-neuron-loopback (mode=mcp3208)
//   NEURONHIL_VM_SPI_CODES  the codes the module answers for CH0..CH7, comma-separated
//   NEURONHIL_VM_BOARD      a board file describing all of the above

import Foundation
import NeuronBoard
import NeuronBoardLinux
import NeuronDrivers
import NeuronHAL
import NeuronLinux
import Testing

enum VM {
    static let env = ProcessInfo.processInfo.environment
    static var active: Bool { env["NEURONHIL_VM"] == "1" }
    static var gpiochip: String { env["NEURONHIL_VM_GPIOCHIP"] ?? "" }
    static var gpiosim: String { env["NEURONHIL_VM_GPIOSIM"] ?? "" }
    static var i2c: String { env["NEURONHIL_VM_I2C"] ?? "" }
    static var spi: String { env["NEURONHIL_VM_SPI"] ?? "" }
    static var spiCodes: [Int] { (env["NEURONHIL_VM_SPI_CODES"] ?? "").split(separator: ",").compactMap { Int($0) } }
    static var board: String { env["NEURONHIL_VM_BOARD"] ?? "" }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
    /// The electrical level gpio-sim sees on line `offset` (what an output drives).
    static func level(_ offset: Int) throws -> String { try read("\(gpiosim)/sim_gpio\(offset)/value") }
    /// Drives an input line from the simulated outside world.
    static func pull(_ offset: Int, _ pull: String) throws { try write(pull, to: "\(gpiosim)/sim_gpio\(offset)/pull") }
}

@Suite("VM: libgpiod against gpio-sim", .enabled(if: VM.active), .serialized)
struct VMGPIOTests {
    @Test func outputsReadBackThroughGPIOSim() throws {
        let spike = try GPIODLineRequest(chip: VM.gpiochip, line: .name("GPIO22"), consumer: "vm-spike", settings: .init(direction: .output))
        #expect(spike.offset == 22)
        #expect(try VM.level(22) == "0")
        try spike.set(.active)
        #expect(try VM.level(22) == "1")
        try spike.set(.inactive)
        #expect(try VM.level(22) == "0")

        // Active-low from the board file: logical active is electrical low, initial inactive is high.
        let gate = try GPIODLineRequest(
            chip: VM.gpiochip, line: .name("GPIO23"), consumer: "vm-gate", settings: .init(direction: .output, activeLow: true))
        #expect(try VM.level(23) == "1")
        try gate.set(.active)
        #expect(try VM.level(23) == "0")
        #expect(try gate.get() == .active)
    }

    @Test func lineInUseIsDeviceBusy() throws {
        let first = try GPIODLineRequest(chip: VM.gpiochip, line: .offset(22), consumer: "holder", settings: .init(direction: .output))
        let error = #expect(throws: HardwareError.self) {
            try GPIODLineRequest(chip: VM.gpiochip, line: .offset(22), consumer: "second", settings: .init(direction: .output))
        }
        #expect(error?.kind == .deviceBusy)
        let info = try GPIODChipInfo.line(chipPath: first.chipPath, offset: 22)
        #expect(info.used && info.consumer == "holder" && info.name == "GPIO22")
    }

    @Test func unknownLineNameIsNotFound() {
        let error = #expect(throws: HardwareError.self) {
            try GPIODLineRequest(chip: VM.gpiochip, line: .name("GPIO99"), consumer: "x", settings: .init(direction: .input))
        }
        #expect(error?.kind == .notFound)
    }

    @Test func edgeEventsCarryMonotonicKernelTimestamps() throws {
        let clock = LinuxClock()
        try VM.pull(27, "pull-down")
        let comparator = try GPIODLineRequest(
            chip: VM.gpiochip, line: .name("GPIO27"), consumer: "vm-comparator", settings: .init(direction: .input, edge: .both))
        #expect(try comparator.waitEdge(until: clock.now) == nil)  // nothing queued

        // The kernel stamps the edge on CLOCK_MONOTONIC, the clock of LinuxClock: after t0, before we got it.
        // (gpio-sim raises the interrupt through irq_work, which may run just after the sysfs write returns.)
        let t0 = clock.now
        try VM.pull(27, "pull-up")
        let rising = try #require(try comparator.waitEdge(until: clock.now + .seconds(2)))
        let t1 = clock.now
        #expect(rising.kind == .rising)
        #expect(rising.timestamp >= t0 && rising.timestamp <= t1)
        #expect(try comparator.get() == .active)

        try VM.pull(27, "pull-down")
        let falling = try #require(try comparator.waitEdge(until: clock.now + .seconds(2)))
        #expect(falling.kind == .falling)
        // Not strictly later: under qemu TCG the kernel may run on a coarse clocksource (jiffies), so two edges a
        // few milliseconds apart can carry the same stamp. The sequence number orders them.
        #expect(falling.timestamp >= rising.timestamp)
        #expect(falling.sequence == rising.sequence + 1)

        // Timeout: no edge within 20 ms returns nil at (not before) the deadline.
        let deadline = clock.now + .milliseconds(20)
        #expect(try comparator.waitEdge(until: deadline) == nil)
        #expect(clock.now >= deadline)
    }

    @Test func activeLowInputReportsLogicalEdges() throws {
        let clock = LinuxClock()
        try VM.pull(27, "pull-down")
        let line = try GPIODLineRequest(
            chip: VM.gpiochip, line: .offset(27), consumer: "vm-active-low",
            settings: .init(direction: .input, edge: .both, activeLow: true))
        #expect(try line.get() == .active)
        try VM.pull(27, "pull-up")  // electrical rising = logical falling
        let edge = try #require(try line.waitEdge(until: clock.now + .seconds(2)))
        #expect(edge.kind == .falling)
        try VM.pull(27, "pull-down")
    }
}

@Suite("VM: i2c-dev + libi2c against i2c-stub", .enabled(if: VM.active), .serialized)
struct VMI2CTests {
    @Test func stubSpeaksSMBusOnly() throws {
        let bus = try LinuxI2CBus(path: VM.i2c)
        #expect(!bus.functionality.contains(.i2c))
        #expect(bus.functionality.contains([.writeByteData, .readWordData, .writeWordData, .quick]))
    }

    @Test func mcp4725WritesReadBackFromStubRegisters() throws {
        let bus = try LinuxI2CBus(path: VM.i2c)
        let dac = MCP4725(bus: bus, address: I2CAddress(0x60), reference: .volts(3.3), clock: LinuxClock())
        // Fast write, code 0xABC: [0x0A, 0xBC] = write_byte_data(command 0x0A, 0xBC); i2c-stub stores 0xBC at 0x0A.
        try dac.writeFast(code: DACCode(0xABC, bits: 12)!)
        let stored: InlineArray<1, UInt8> = try bus.writeRead(I2CAddress(0x60), [0x0A] as InlineArray<1, UInt8>)
        #expect(stored[0] == 0xBC)
        // Safe state: code 0, power-down 1 kΩ = [0x10, 0x00].
        try dac.enterSafeState()
        let safe: InlineArray<1, UInt8> = try bus.writeRead(I2CAddress(0x60), [0x10] as InlineArray<1, UInt8>)
        #expect(safe[0] == 0x00)
        // Register write (C2C1C0 = 010): [0x40, D11..D4, D3..D0 << 4] = write_word_data, byte-swapped into the stub.
        try dac.writeDACRegister(code: DACCode(0x5A5, bits: 12)!)
        let word: InlineArray<2, UInt8> = try bus.writeRead(I2CAddress(0x60), [0x40] as InlineArray<1, UInt8>)
        #expect(word[0] == 0x5A && word[1] == 0x50)
        // The 5-byte read-back has no SMBus form: refused as unsupported on this SMBus-only adapter.
        let error = #expect(throws: HardwareError.self) { try dac.readBack() }
        #expect(error?.kind == .unsupported)
    }

    @Test(arguments: [
        (ADS1x15Variant.ads1015, UInt8(0x48), UInt16(0x3E80), 1.000),  // code 1000 << 4, 1 mV/LSB at ±2.048 V
        (ADS1x15Variant.ads1015, UInt8(0x48), UInt16(0xC180), -1.000), // −1000
        (ADS1x15Variant.ads1115, UInt8(0x49), UInt16(0x4000), 1.024),  // 16384 × 62.5 µV
    ])
    func ads1x15ConversionsPreloadedInTheStubReadAsVolts(variant: ADS1x15Variant, address: UInt8, conversion: UInt16, volts: Double) throws {
        let bus = try LinuxI2CBus(path: VM.i2c)
        let addr = I2CAddress(address)
        // Preload the conversion register (pointer 0x00), MSB first on the wire = byte-swapped SMBus word.
        try bus.write(addr, [0x00, UInt8(conversion >> 8), UInt8(conversion & 0xFF)] as InlineArray<3, UInt8>)
        let adc = ADS1x15(bus: bus, address: addr, variant: variant, clock: LinuxClock())
        // Single-shot: the config write sets OS = 1; the stub keeps it, so the ready poll reads "not converting".
        let v = try adc.readSingleShot(mux: .ain0gnd, pga: .fsr2_048, rate: variant == .ads1015 ? .dr100 : .dr111)
        #expect(abs(v.volts - volts) < 1e-9)
        let config = try adc.readConfig()
        #expect(config.mux == .ain0gnd && config.pga == .fsr2_048 && config.mode == .singleShot)
        let continuous = adc.channel(mux: .ain0gnd, pga: .fsr2_048, rate: variant == .ads1015 ? .dr100 : .dr111, mode: .continuous)
        #expect(abs(try continuous.readVoltage().volts - volts) < 1e-9)
    }

    @Test func nakOnAnAbsentAddressIsNoAcknowledgeAddress() throws {
        let bus = try LinuxI2CBus(path: VM.i2c)
        let dac = MCP4725(bus: bus, address: I2CAddress(0x61), reference: .volts(3.3), clock: LinuxClock())
        let error = #expect(throws: HardwareError.self) { try dac.writeFast(code: DACCode(1, bits: 12)!) }
        // i2c-stub answers an address it does not simulate with ENODEV (fault-codes: ENXIO's alternative).
        #expect(error?.kind == .noAcknowledge(.address))
        #expect(error?.errno == ENODEV || error?.errno == ENXIO)
        #expect(error?.device == "\(VM.i2c) @ 0x61")
        #expect(dac.lastCode == nil)
        // The bus still works for the chips that are there.
        try bus.write(I2CAddress(0x60), [0x00, 0x00] as InlineArray<2, UInt8>)
    }

    @Test func missingAdapterIsNotFound() {
        let error = #expect(throws: HardwareError.self) { try LinuxI2CBus(path: "/dev/i2c-77") }
        #expect(error?.kind == .notFound)
    }
}

@Suite("VM: spidev against spi-neuron-loopback", .enabled(if: VM.active), .serialized)
struct VMSPITests {
    @Test func mcp3208ConversionsThroughSpidev() throws {
        let spi = try LinuxSPIDevice(path: VM.spi, mode: 0, maxSpeed: .hertz(1_000_000))
        #expect(spi.mode == 0 && spi.speed == .hertz(1_000_000))
        let adc = MCP3x08(device: spi, variant: .mcp3208, reference: .volts(3.3))
        let codes = VM.spiCodes
        #expect(codes.count == 8)
        for channel in 0..<8 {
            #expect(try adc.readRaw(channel: channel).value == Int32(codes[channel]))
        }
        // What went out on MOSI for the last conversion (CH7 single-ended: 0x07, 0xC0, 0x00).
        #expect(try VM.read("/sys/module/spi_neuron_loopback/parameters/last_tx") == "07c000")
        let v = try adc.channel(0).readVoltage()
        #expect(abs(v.volts - 3.3 * Double(codes[0]) / 4096) < 1e-9)
    }

    @Test func everyModeIsAccepted() throws {
        for mode in 0...3 {
            let spi = try LinuxSPIDevice(path: VM.spi, mode: mode, maxSpeed: .hertz(500_000))
            #expect(spi.mode == mode)
        }
    }
}

@Suite("VM: a whole board on the Linux backends", .enabled(if: VM.active), .serialized)
struct VMBoardTests {
    @Test func boardComesUpOnLinuxBackendsAndRuns() throws {
        let description = try BoardLoader.load(path: VM.board)
        #expect(!description.board.simulated)
        let runtime = try BoardRuntime(linux: description)
        #expect(runtime.linux != nil)
        let n0 = try runtime.neuron(id: 0)
        // Stimulus through the gate (active-low GPIO23): the first write closes the switch.
        try n0.stimulus.setVoltage(.volts(0.5))
        #expect(try VM.level(23) == "0")
        try n0.stimulus.enterSafeState()
        #expect(try VM.level(23) == "1")
        // Membrane through the MCP3208 on spidev: CH0's code as volts.
        let v = try n0.membrane.readVoltage()
        #expect(abs(v.volts - 3.3 * Double(VM.spiCodes[0]) / 4096) < 1e-9)
        // Comparator edges through gpio-sim.
        let clock = LinuxClock()
        try VM.pull(27, "pull-up")
        let edge = try #require(try n0.comparator?.waitEdge(until: clock.now + .seconds(2)))
        #expect(edge.kind == .rising)
        try VM.pull(27, "pull-down")
        try n0.spikeOut?.set(.active)
        #expect(try VM.level(22) == "1")
        try n0.spikeOut?.set(.inactive)
    }
}
