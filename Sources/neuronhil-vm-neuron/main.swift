// The neuron emulator of the VM test (Scripts/vm/init.sh): the analogue half of the board, outside neuronctl.
//
// It reads what neuronctl wrote to each MCP4725 through the kernel (i2c-dev + libi2c on i2c-stub), feeds that
// voltage through the board's stimulus gate (gpio-sim) to the project's own neuron physics (NeuronPhysics,
// deterministic model: it switches after exactly 6.9 ms of bias), and answers the MCP3208 with the capacitor's
// voltage through the spi-neuron-loopback module's `codes` parameter. neuronctl's spikes are then detected on
// samples that went through spidev.
//
//   neuronhil-vm-neuron --i2c /dev/i2c-N --stop FILE [--vref 3.3] NEURON...
//   NEURON = DAC_ADDRESS:ADC_CHANNEL[:GATE_VALUE_FILE]   e.g. 0x60:0:/sys/.../sim_gpio23/value
//
// Runs until FILE exists, puts back in each register what neuronctl last wrote there (so `i2cget` then reads the
// stub as the driver left it), and prints per DAC what it saw (writes, the last one) and per neuron its switches.
//
// Reading the DAC through i2c-stub: the stub stores an SMBus byte-data write at the register named by its first
// byte, and a fast write [0b00PD_DDDD, DDDD_DDDD] is exactly that, so code c with power-down p lands in register
// p<<4 | c>>8 (0x00-0x3F) with value c & 0xFF. Which register was written last is not kept, so each poll reads
// the 64 registers (two I2C block reads) and compares them with sentinels it wrote there itself: a register that
// differs was written since the last poll; its sentinel becomes the written value ^ 0xFF, so a repeat of the same
// write is seen too. Two writes in one poll cannot be ordered; the protocol's pulses (>= 10 ms) are long against
// the poll interval (1 ms), and such polls are counted and printed as "ambiguous".

import Foundation
import NeuronHAL
import NeuronLinux
import NeuronPhysics

struct Neuron {
    let dac: I2CAddress
    let channel: Int
    let gate: SysfsFile?
    var sentinels = [UInt8](repeating: 0xA5, count: 64)
    var physics: PerovskiteNeuron
    var dacVolts = 0.0
    var writes = 0
    var ambiguous = 0
    var last: (register: Int, value: UInt8)?
    /// What neuronctl last wrote to each register, put back at exit so the stub holds what the driver left.
    var seen: [Int: UInt8] = [:]
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("neuronhil-vm-neuron: error: \(message)\n".utf8))
    exit(2)
}

func parse() -> (i2c: String, stop: String, vref: Double, neurons: [Neuron]) {
    var args = CommandLine.arguments.dropFirst()
    var i2c: String?, stop: String?, vref = 3.3
    var neurons: [Neuron] = []
    while let a = args.popFirst() {
        switch a {
        case "--i2c": i2c = args.popFirst()
        case "--stop": stop = args.popFirst()
        case "--vref": vref = Double(args.popFirst() ?? "") ?? .nan
        default:
            let p = a.split(separator: ":", maxSplits: 2).map(String.init)
            guard p.count >= 2, p[0].hasPrefix("0x"), let addr = UInt8(p[0].dropFirst(2), radix: 16), let ch = Int(p[1]),
                  (0..<8).contains(ch) else {
                fail("\(a): a neuron is DAC_ADDRESS:ADC_CHANNEL[:GATE_VALUE_FILE], e.g. 0x60:0")
            }
            neurons.append(Neuron(dac: I2CAddress(addr), channel: ch, gate: p.count == 3 ? SysfsFile(p[2], write: false) : nil,
                                  physics: PerovskiteNeuron(kind: .deterministic, seed: UInt64(neurons.count + 1))))
        }
    }
    guard let i2c, let stop, vref > 0, !neurons.isEmpty else {
        fail("usage: neuronhil-vm-neuron --i2c /dev/i2c-N --stop FILE [--vref V] DAC_ADDRESS:ADC_CHANNEL[:GATE_VALUE_FILE]...")
    }
    return (i2c, stop, vref, neurons)
}

/// The 64 fast-write registers of the DAC at `address` (0x00-0x3F), two I2C block reads.
func readRegisters(_ bus: LinuxI2CBus, _ address: I2CAddress) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 64)
    for half in 0..<2 {
        let command: [UInt8] = [UInt8(half * 32)]
        var block = [UInt8](repeating: 0, count: 32)
        try command.withUnsafeBytes { (w) in
            try block.withUnsafeMutableBytes { (r) in try bus.transaction(address, write: w, read: r) }
        }
        out.replaceSubrange(half * 32..<(half + 1) * 32, with: block)
    }
    return out
}

func writeRegister(_ bus: LinuxI2CBus, _ address: I2CAddress, _ register: Int, _ value: UInt8) throws {
    let bytes: [UInt8] = [UInt8(register), value]
    try bytes.withUnsafeBytes { (w) in try bus.transaction(address, write: w, read: UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
}

/// The DAC's output for a fast write to `register` of `value`: 0 V when powered down.
func volts(register: Int, value: UInt8, vref: Double) -> Double {
    let powerDown = register >> 4
    let code = (register & 0x0F) << 8 | Int(value)
    return powerDown == 0 ? vref * Double(code) / 4096 : 0
}

/// A sysfs attribute kept open: each read or write is one pread/pwrite at offset 0, which makes the kernel show or
/// store the attribute again (cheap enough to poll every millisecond under TCG, unlike opening it each time).
struct SysfsFile {
    let fd: Int32

    init(_ path: String, write: Bool) {
        fd = open(path, write ? O_WRONLY : O_RDONLY)
        if fd < 0 { fail("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    func firstByte() -> UInt8? {
        var b: UInt8 = 0
        return pread(fd, &b, 1, 0) == 1 ? b : nil
    }

    func write(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { pwrite(fd, $0.baseAddress, $0.count, 0) == $0.count }
    }
}

/// Whether the board's stimulus gate conducts: it is active low, so the switch conducts while gpio-sim sees the
/// line low. No gate file: always.
func gateClosed(_ gate: SysfsFile?) -> Bool {
    guard let gate else { return true }
    return gate.firstByte() == UInt8(ascii: "0")
}

extension Neuron {
    /// One poll at `t` seconds: what neuronctl wrote to the DAC since the last poll, the gate, the physics up to
    /// `t`. Returns the ADC code of the capacitor's voltage.
    mutating func poll(_ bus: LinuxI2CBus, vref: Double, at t: Double) throws -> Int {
        let regs = try readRegisters(bus, dac)
        var lowest: (register: Int, volts: Double)?
        var changed = 0
        for r in 0..<64 where regs[r] != sentinels[r] {
            changed += 1
            seen[r] = regs[r]
            sentinels[r] = regs[r] ^ 0xFF
            try writeRegister(bus, dac, r, sentinels[r])
            // Of two writes in one poll, the one that leaves the output lower is taken as the later: the engine
            // ends every pulse by writing 0 V.
            let v = volts(register: r, value: regs[r], vref: vref)
            if v < lowest?.volts ?? .infinity { lowest = (r, v) }
        }
        if changed > 1 { ambiguous += 1 }
        if let lowest {
            writes += changed
            last = (lowest.register, regs[lowest.register])
            dacVolts = lowest.volts
        }
        let input = gateClosed(gate) ? dacVolts : 0
        if input != physics.inputVolts { physics.setInput(input, at: t) }
        physics.advance(to: t)
        return min(4095, max(0, Int((physics.capacitorVolts / vref * 4096).rounded())))
    }

    func report(vref: Double) -> String {
        let text = last.map {
            String(format: "register 0x%02X = 0x%02X (%.3f V", $0.register, $0.value, volts(register: $0.register, value: $0.value, vref: vref))
                + ($0.register >> 4 == 0 ? ")" : ", powered down)")
        } ?? "none"
        return "neuronhil-vm-neuron: dac \(dac): \(writes) writes, ambiguous polls \(ambiguous), last write \(text); "
            + "ADC CH\(channel): neuron switched \(physics.spikeCount) times"
    }
}

func run() throws {
    let (path, stop, vref, parsed) = parse()
    var neurons = parsed
    let bus = try LinuxI2CBus(path: path)
    for n in neurons {
        for r in 0..<64 { try writeRegister(bus, n.dac, r, n.sentinels[r]) }
    }
    let adc = SysfsFile("/sys/module/spi_neuron_loopback/parameters/codes", write: true)
    let clock = LinuxClock()
    let start = clock.now
    var codes = [Int](repeating: 0, count: 8), written: [Int] = []
    // The longest gap between polls while a DAC drove its neuron: how late the emulator may see a pulse's edge.
    var polls = 0, previous = 0.0, longest = 0.0
    print("neuronhil-vm-neuron: emulating \(neurons.count) neuron(s) on \(path) (deterministic model)")
    // init.sh waits for this line before it starts neuronctl; standard output is a file there, so fully buffered.
    fflush(nil)
    while polls % 20 != 0 || access(stop, F_OK) != 0 {
        polls += 1
        let t = Double((clock.now - start).nanosecondsValue) * 1e-9
        if neurons.contains(where: { $0.dacVolts > 0 }) { longest = max(longest, t - previous) }
        previous = t
        for i in neurons.indices {
            codes[neurons[i].channel] = try neurons[i].poll(bus, vref: vref, at: t)
        }
        if codes != written {
            guard adc.write(codes.map(String.init).joined(separator: ",")) else { fail("cannot set the ADC's codes: \(String(cString: strerror(errno)))") }
            written = codes
        }
        clock.sleep(for: .milliseconds(1))
    }
    // Put back what neuronctl last wrote, so i2cget reads the stub as the driver left it.
    for n in neurons {
        for (r, v) in n.seen { try writeRegister(bus, n.dac, r, v) }
    }
    print(String(format: "neuronhil-vm-neuron: %d polls in %.2f s (%.2f ms apart on average, %.2f ms at most while a DAC was on)",
                 polls, previous, 1000 * previous / Double(polls), 1000 * longest))
    for n in neurons { print(n.report(vref: vref)) }
}

do { try run() } catch { fail("\(error)") }
