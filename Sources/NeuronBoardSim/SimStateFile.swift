#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NeuronHAL
import NeuronSim
import NeuronBoard

/// The registers of a simulated board that a real board keeps when the controller process dies: every DAC's code
/// and power-down bits and every GPIO output's value, in a small memory-mapped file (opt-in: `neuronctl run
/// --sim-state FILE`, `BoardRuntime.SimulationOverrides.stateFile`).
///
/// A real MCP4725 holds its last code after `kill -9` of the process that wrote it, and a GPIO line keeps being
/// driven; a simulated chip living in the controller's memory would vanish with it, and nothing could show that the
/// supervisor (`neuronctl supervise`) puts the hardware in the safe state. With a state file the simulated chips
/// outlive the process: every change is stored into a `MAP_SHARED` mapping (the kernel's page cache, which keeps
/// it when the process is killed; a store, no syscall, no allocation on the loop's path), and the next process
/// that opens the board with the same file starts from those registers, as the next controller would on hardware.
///
/// The file is plain text with fixed-width fields, so `cat` shows the chip state (values in hex):
/// ```
/// # neuronhil simulated board state v1
/// dac dac0 code=000 power-down=0
/// line spike-out value=0
/// line stimulus-gate value=0
/// ```
/// `power-down` is the DAC's PD1PD0 (0 = output on); `value` is the logical line value (1 = active). An MCP4728 has
/// one `dac` line per output, named `dac1/a` ... `dac1/d`; its VREF and gain bits are restored as the board file
/// sets them (the driver writes them with every code).
/// A file that does not match the board (another board's, hand-edited) is refused with the line and the fix.
final class SimStateFile {
    let path: String
    private let base: UnsafeMutablePointer<UInt8>
    private let size: Int
    private var dacStores: [String: () -> Void] = [:]
    private var lineStores: [String: () -> Void] = [:]

    static let header = "# neuronhil simulated board state v1\n"

    /// One DAC register as the state file sees it: its code and power-down bits, how to put them back without a
    /// change callback, and how to be told of a change (chained after the existing callbacks).
    struct DACRegister {
        let read: () -> (code: UInt16, powerDown: UInt8)
        let restore: (UInt16, UInt8) -> Void
        let observe: (@escaping () -> Void) -> Void

        init(_ dac: SimMCP4725) {
            read = { (dac.code, dac.powerDown.rawValue) }
            restore = { dac.restoreRegister(code: $0, powerDown: SimMCP4725.PowerDown(rawValue: $1)!) }
            observe = { store in
                let previous = dac.onOutputChange
                dac.onOutputChange = { t, v in previous?(t, v); store() }
            }
        }

        init(_ dac: SimMCP4728, channel: Int, internalReference: Bool, gainTwo: Bool) {
            read = { (dac.registers[channel].code, dac.registers[channel].powerDown) }
            restore = { code, pd in
                dac.restoreRegister(
                    channel: channel,
                    SimMCP4728.Register(internalReference: internalReference, powerDown: pd, gainTwo: gainTwo, code: code))
            }
            observe = { store in
                let previous = dac.onOutputChange
                dac.onOutputChange = { ch, t, v in
                    previous?(ch, t, v)
                    if ch == channel { store() }
                }
            }
        }
    }

    /// Opens (or creates) `path` for `dacs` and `lines`: restores the models from the file when it exists, then
    /// maps it and keeps it updated on every change.
    init(path: String, dacs: [String: DACRegister], lines: [String: SimOutputLine], source: String) throws(BoardError) {
        self.path = path
        func refuse(_ line: Int?, _ problem: String) -> BoardError {
            BoardError(source: path, keyPath: "", line: line, problem: problem,
                       fix: "delete \(path) to start from the chips' power-on state, or give the state file of board \(source)")
        }
        let dacNames = dacs.keys.sorted(), lineNames = lines.keys.sorted()
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw refuse(nil, "cannot read the simulated board state file.")
            }
            let parsed = try Self.parse(text, refuse: refuse)
            guard parsed.dacs.keys.sorted() == dacNames, parsed.lines.keys.sorted() == lineNames else {
                throw refuse(nil, "the file holds the chips \(parsed.dacs.keys.sorted() + parsed.lines.keys.sorted()), the board has \(dacNames + lineNames).")
            }
            for (name, dac) in dacs { if let r = parsed.dacs[name] { dac.restore(r.code, r.powerDown) } }
            for (name, line) in lines { if let v = parsed.lines[name] { line.restore(LineValue(v)) } }
        }
        // Rewrite in canonical form with the (restored) values, then map it.
        var text = Self.header
        var dacOffsets: [(String, DACRegister, Int)] = [], lineOffsets: [(String, SimOutputLine, Int)] = []
        for (name, dac) in dacs.sorted(by: { $0.key < $1.key }) {
            text += "dac \(name) code="
            dacOffsets.append((name, dac, text.utf8.count))
            text += "000 power-down=0\n"
        }
        for (name, line) in lines.sorted(by: { $0.key < $1.key }) {
            text += "line \(name) value="
            lineOffsets.append((name, line, text.utf8.count))
            text += "0\n"
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw refuse(nil, "cannot open the simulated board state file (errno \(errno)).") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        size = bytes.count
        guard ftruncate(fd, off_t(size)) == 0,
              let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw refuse(nil, "cannot map the simulated board state file (errno \(errno)).")
        }
        base = p.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: size) }
        for (name, dac, offset) in dacOffsets {
            let store: () -> Void = { [base] in
                let r = dac.read()
                Self.hex(UInt(r.code), digits: 3, at: base + offset)
                base[offset + 15] = 0x30 + r.powerDown  // "XXX power-down=" is 15 bytes
            }
            store()
            dacStores[name] = store
        }
        for (name, line, offset) in lineOffsets {
            let store: () -> Void = { [base] in base[offset] = line.value.isActive ? 0x31 : 0x30 }
            store()
            lineStores[name] = store
        }
    }

    deinit { munmap(base, size) }

    /// Chains the stores after the models' existing change callbacks (call after the physics is connected).
    func attach(dacs: [String: DACRegister], lines: [String: SimOutputLine]) {
        for (name, dac) in dacs {
            guard let store = dacStores[name] else { continue }
            dac.observe(store)
        }
        for (name, line) in lines {
            guard let store = lineStores[name] else { continue }
            let previous = line.onChange
            line.onChange = { t, v in previous?(t, v); store() }
        }
    }

    private static func hex(_ value: UInt, digits: Int, at p: UnsafeMutablePointer<UInt8>) {
        var v = value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8(v & 0xF)
            p[i] = d < 10 ? 0x30 + d : 0x57 + d  // '0'...'9', 'a'...'f'
            v >>= 4
        }
    }

    /// The registers in a state file's text.
    struct Contents: Equatable {
        var dacs: [String: (code: UInt16, powerDown: UInt8)]
        var lines: [String: Bool]
        static func == (a: Contents, b: Contents) -> Bool {
            a.lines == b.lines && a.dacs.mapValues { [Int($0.code), Int($0.powerDown)] } == b.dacs.mapValues { [Int($0.code), Int($0.powerDown)] }
        }
    }

    /// Parses a state file; every malformed line is refused with its number.
    static func parse(_ text: String, refuse: (Int?, String) -> BoardError) throws(BoardError) -> Contents {
        var c = Contents(dacs: [:], lines: [:])
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: " ")
            if f.count == 4, f[0] == "dac", f[2].hasPrefix("code="), f[3].hasPrefix("power-down="),
               let code = UInt16(f[2].dropFirst(5), radix: 16), code <= 0xFFF,
               let pd = UInt8(f[3].dropFirst(11)), pd <= 3 {
                c.dacs[String(f[1])] = (code, pd)
            } else if f.count == 3, f[0] == "line", f[2] == "value=0" || f[2] == "value=1" {
                c.lines[String(f[1])] = f[2] == "value=1"
            } else {
                throw refuse(i + 1, "'\(line.prefix(80))' is not 'dac NAME code=XXX power-down=N' or 'line NAME value=0|1'.")
            }
        }
        return c
    }
}
