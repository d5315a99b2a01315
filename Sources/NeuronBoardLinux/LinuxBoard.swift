public import NeuronConfig
import NeuronHAL
public import NeuronLinux
public import NeuronBoard
import Foundation

extension BoardRuntime {
    /// Brings the hardware board `description` up on the Linux backends: opens its i2c-dev and spidev nodes and
    /// requests its GPIO lines (outputs take their `initial` values), and fails with the node, the errno and the
    /// fix if one cannot be opened.
    public convenience init(linux description: BoardDescription) throws(BoardError) {
        guard !description.board.simulated else {
            throw BoardError(
                source: description.source, keyPath: "board.simulated",
                problem: "the board is simulated (`simulated: true`); its devices are not the machine's.",
                fix: "bring it up simulated (NeuronBoardSim), or describe the real board with `simulated: false`")
        }
        try self.init(description, backend: try LinuxBoard(description))
    }

    /// The Linux buses and lines, when the board is real hardware (`simulated: false`).
    public var linux: LinuxBoard? { backend as? LinuxBoard }
}

/// The Linux side of a board (`simulated: false`): i2c-dev buses, spidev devices and libgpiod line requests
/// opened from the board file, and the same drivers as the simulated board on top of them.
///
/// Not thread-safe and not `Sendable`: every handle belongs to the thread that runs the loop.
public final class LinuxBoard {
    public let clock = LinuxClock()
    /// Open I2C adapters, by bus name.
    public private(set) var i2cBuses: [String: LinuxI2CBus] = [:]
    /// Open spidev nodes, by bus name (one node is one chip select).
    public private(set) var spiDevices: [String: LinuxSPIDevice] = [:]
    /// Requested GPIO lines, by the board file's line name.
    public private(set) var lines: [String: GPIODLineRequest] = [:]

    /// Opens every bus and requests every line of `board`. The first failure is reported as a `BoardError` at the
    /// bus or line's key, with the errno's explanation and fix; what was opened until then is closed again.
    public init(_ board: BoardDescription) throws(BoardError) {
        for bus in board.buses {
            do throws(HardwareError) {
                switch bus.settings {
                case .i2c:
                    i2cBuses[bus.name] = try LinuxI2CBus(path: bus.device)
                case .spi(let mode, let speed):
                    spiDevices[bus.name] = try LinuxSPIDevice(path: bus.device, mode: mode, maxSpeed: speed)
                }
            } catch {
                throw Self.boardError(board, "buses.\(bus.name).device", error)
            }
        }
        if let gpio = board.gpio {
            for line in gpio.lines {
                do throws(HardwareError) {
                    lines[line.name] = try GPIODLineRequest(
                        chip: gpio.chip, line: Self.lineID(line.line), consumer: line.consumer,
                        settings: Self.settings(line))
                } catch {
                    throw Self.boardError(board, "gpio.lines.\(line.name)", error)
                }
            }
        }
    }

    static func lineID(_ id: GPIOLine.LineID) -> GPIODLineRequest.Line {
        switch id {
        case .name(let n): return .name(n)
        case .offset(let o): return .offset(o)
        }
    }

    static func settings(_ line: GPIOLine) -> GPIODLineRequest.Settings {
        let edge: GPIODLineRequest.Edge
        switch line.edge {
        case .none: edge = .none
        case .rising: edge = .rising
        case .falling: edge = .falling
        case .both: edge = .both
        }
        let bias: GPIODLineRequest.Bias
        switch line.bias {
        case .asIs: bias = .asIs
        case .disabled: bias = .disabled
        case .pullUp: bias = .pullUp
        case .pullDown: bias = .pullDown
        }
        return GPIODLineRequest.Settings(
            direction: line.direction == .output ? .output : .input, edge: edge, bias: bias,
            activeLow: line.activeLow, initial: line.initial)
    }

    /// A hardware error at `keyPath` as a board error: the errno's explanation becomes the problem and its
    /// "Fix:" part the fix.
    static func boardError(_ board: BoardDescription, _ keyPath: String, _ error: HardwareError) -> BoardError {
        let parts = error.message.components(separatedBy: " Fix: ")
        let errno = error.errno.map { " (errno \($0))" } ?? ""
        var problem = "\(error.device): \(error.operation) failed: \(error.kind)\(errno): \(parts[0])"
        if !problem.hasSuffix(".") { problem += "." }
        let fix = parts.count > 1 ? parts[1] : "check the device node and the wiring, then run `neuronctl probe --board \(board.source)`"
        return BoardError(source: board.source, keyPath: keyPath, problem: problem, fix: fix)
    }
}

extension LinuxBoard: BoardBackend {
    public func i2cBus(named bus: String) -> LinuxI2CBus? { i2cBuses[bus] }
    /// One spidev node is one chip select, so the bus's node is its device's.
    public func spiDevice(bus: String, device: String) -> LinuxSPIDevice? { spiDevices[bus] }
    public func outputLine(named line: String) -> GPIODLineRequest? { lines[line] }
    public func inputLine(named line: String) -> GPIODLineRequest? { lines[line] }
}
