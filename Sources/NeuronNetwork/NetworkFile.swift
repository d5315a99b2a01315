public import NeuronHAL
public import NeuronControl
import Foundation
import NeuronBoard
import Yams

/// A network file: what drives the neurons of one board, the routes from spikes to pulses, and the UDP endpoints
/// that join several boards into one network.
///
/// ```yaml
/// network: { name: two-neuron-loop }
/// drive:                       # a neuron's own pulses: a fixed train (optional)
///   - { neuron: 0, amplitude-volts: 0.75, width-ms: 5, frequency-hz: 33, pulses: 100 }   # pulses: default the whole run
/// routes:
///   - from: 0                  # spikes of neuron 0 on this board ...
///     to: 1                    # ... make pulses on neuron 1
///     amplitude-volts: 0.75    # weight as amplitude
///     pulses: 3                # weight as pulse count, one every interval-ms
///     interval-ms: 10
///     width-ms: 5
///     delay-ms: 1              # from the spike's threshold crossing to the first pulse
///   - { from-address: 0, to: 1, pulses: 3 }   # jAER address received on `listen` (another board's neuron id)
/// listen: 127.0.0.1:9001       # receive jAER spike datagrams here (optional; 127.0.0.1 unless another address is given)
/// send: 127.0.0.1:9002         # send this board's spikes as jAER datagrams (optional)
/// ```
/// Every route amplitude and width is checked against the board's limits when the loop is built; pulses wait for
/// the duty-cycle limit at run time.
public struct NetworkFile: Sendable, Hashable {
    public struct Drive: Sendable, Hashable {
        public var neuron: Int
        public var amplitude: Voltage
        public var width: Duration
        public var frequency: Frequency
        public var pulses: Int?
    }
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: UInt16
        public var description: String { "\(host):\(port)" }
        public init(host: String, port: UInt16) {
            self.host = host
            self.port = port
        }
        /// Parses `HOST:PORT` (IPv4) or a bare port (127.0.0.1). Port 0 asks the kernel for a free one (listen only).
        public init?(_ text: String) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            let host = parts.count == 2 ? String(parts[0]) : "127.0.0.1"
            guard parts.count <= 2, let port = UInt16(parts.last ?? "") else { return nil }
            let octets = host.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return nil }
            self.host = host
            self.port = port
        }
    }

    public var name: String
    public var source: String
    public var drives: [Drive]
    public var routes: [Route]
    public var listen: Endpoint?
    public var send: Endpoint?

    public init(name: String, source: String, drives: [Drive] = [], routes: [Route] = [], listen: Endpoint? = nil, send: Endpoint? = nil) {
        self.name = name
        self.source = source
        self.drives = drives
        self.routes = routes
        self.listen = listen
        self.send = send
    }

    public static func load(path: String) throws(NetworkError) -> NetworkFile {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw NetworkError(source: path, key: "(file)", problem: "cannot read it (\(error.localizedDescription)).", fix: "give the path of a network YAML file, e.g. Boards/networks/two-neuron-loop.yaml")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses a network file; errors name the source, the key (with its line) and the fix.
    public static func parse(yaml: String, source: String) throws(NetworkError) -> NetworkFile {
        // Yams recurses once per nesting level: refuse absurd nesting before it can overflow the stack.
        if let deep = excessiveYAMLNesting(yaml) {
            throw NetworkError(source: source, key: "(yaml)", problem: "line \(deep.line): \(deep.problem).",
                               fix: "a network file needs only a few levels of nesting; check the brackets and the indentation")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw NetworkError(source: source, key: "(yaml)", problem: "not valid YAML: \(error)", fix: "check the indentation and the quoting near the line given")
        }
        guard let map = root?.mapping else {
            throw NetworkError(source: source, key: "(top)", problem: "the file is not a mapping of keys.", fix: "start with `network: { name: ... }` and `routes:`")
        }
        let p = Parser(source: source)
        try p.allowed(map, ["network", "drive", "routes", "listen", "send"], at: "")
        var name = "network"
        if let n = map["network"] {
            guard let m = n.mapping else { throw p.error("network", n, "expected a mapping.", "write `network: { name: my-network }`") }
            try p.allowed(m, ["name", "description"], at: "network")
            name = m["name"]?.string ?? name
        }
        var drives: [Drive] = []
        for (i, node) in try p.sequence(map["drive"], at: "drive").enumerated() {
            let key = "drive[\(i)]"
            guard let m = node.mapping else { throw p.error(key, node, "expected a mapping.", "e.g. { neuron: 0, frequency-hz: 33 }") }
            try p.allowed(m, ["neuron", "amplitude-volts", "width-ms", "frequency-hz", "pulses"], at: key)
            drives.append(Drive(
                neuron: try p.int(m, "neuron", at: key, required: true) ?? 0,
                amplitude: .volts(try p.double(m, "amplitude-volts", at: key) ?? 0.75),
                width: .seconds((try p.double(m, "width-ms", at: key) ?? 5) / 1e3),
                frequency: .hertz(try p.double(m, "frequency-hz", at: key, positive: true) ?? 33),
                pulses: try p.int(m, "pulses", at: key)))
        }
        var routes: [Route] = []
        for (i, node) in try p.sequence(map["routes"], at: "routes").enumerated() {
            let key = "routes[\(i)]"
            guard let m = node.mapping else { throw p.error(key, node, "expected a mapping.", "e.g. { from: 0, to: 1 }") }
            try p.allowed(m, ["from", "from-address", "to", "amplitude-volts", "width-ms", "pulses", "interval-ms", "delay-ms"], at: key)
            let from = try p.int(m, "from", at: key)
            let address = try p.int(m, "from-address", at: key)
            let src: Route.Source
            switch (from, address) {
            case (let f?, nil): src = .channel(f)
            case (nil, let a?):
                guard let a32 = Int32(exactly: a) else { throw p.error(key + ".from-address", m["from-address"]!, "\(a) is not a 32-bit jAER address.", "use an address that fits in int32") }
                src = .external(a32)
            default:
                throw p.error(key, node, "give exactly one of `from` (a neuron id on this board) and `from-address` (a jAER address received on `listen`).", "e.g. from: 0")
            }
            routes.append(Route(
                source: src, target: try p.int(m, "to", at: key, required: true) ?? 0,
                amplitude: .volts(try p.double(m, "amplitude-volts", at: key) ?? 0.75),
                width: .seconds((try p.double(m, "width-ms", at: key) ?? 5) / 1e3),
                pulses: try p.int(m, "pulses", at: key) ?? 1,
                interval: .seconds((try p.double(m, "interval-ms", at: key, positive: true) ?? 15) / 1e3),
                delay: .seconds((try p.double(m, "delay-ms", at: key) ?? 0) / 1e3)))
        }
        func endpoint(_ k: String) throws(NetworkError) -> Endpoint? {
            guard let n = map[k] else { return nil }
            guard let s = n.string, let e = Endpoint(s) else {
                throw p.error(k, n, "'\(n.string ?? "?")' is not HOST:PORT with an IPv4 address.", "e.g. \(k): 127.0.0.1:9001")
            }
            return e
        }
        let listen = try endpoint("listen")
        let send = try endpoint("send")
        if routes.contains(where: { if case .external = $0.source { true } else { false } }), listen == nil {
            throw NetworkError(source: source, key: "routes", problem: "a route takes `from-address`, but the file has no `listen` endpoint to receive it on.",
                               fix: "add `listen: 127.0.0.1:PORT`")
        }
        return NetworkFile(name: name, source: source, drives: drives, routes: routes, listen: listen, send: send)
    }

    /// Checks the drives against the board's limits (routes are checked by `NetworkLoop.init`).
    public func validateDrives(limits: StimulusLimits, neurons: Set<Int>) throws(NetworkError) {
        for (i, d) in drives.enumerated() {
            guard neurons.contains(d.neuron) else {
                throw NetworkError(source: source, key: "drive[\(i)].neuron", problem: "the board has no neuron with id \(d.neuron).",
                                   fix: "use one of: \(neurons.sorted().map(String.init).joined(separator: ", "))")
            }
            do {
                try PulseTrain(amplitude: d.amplitude, width: d.width, frequency: d.frequency, count: d.pulses ?? 1).validate(against: limits)
            } catch {
                throw NetworkError(source: source, key: "drive[\(i)].\(error.parameter)", problem: error.problem, fix: error.fix)
            }
        }
    }

    private struct Parser {
        let source: String
        func error(_ key: String, _ node: Node, _ problem: String, _ fix: String) -> NetworkError {
            let line = node.mark.map { " (line \($0.line))" } ?? ""
            return NetworkError(source: source, key: key + line, problem: problem, fix: fix)
        }
        func allowed(_ m: Node.Mapping, _ keys: [String], at path: String) throws(NetworkError) {
            for (k, _) in m {
                guard let s = k.string, keys.contains(s) else {
                    throw error((path.isEmpty ? "" : path + ".") + (k.string ?? "?"), k, "unknown key.", "use one of: \(keys.joined(separator: ", "))")
                }
            }
        }
        func sequence(_ n: Node?, at key: String) throws(NetworkError) -> [Node] {
            guard let n else { return [] }
            guard let s = n.sequence else { throw error(key, n, "expected a list.", "write each entry on its own line starting with '- '") }
            return Array(s)
        }
        func int(_ m: Node.Mapping, _ k: String, at path: String, required: Bool = false) throws(NetworkError) -> Int? {
            guard let n = m[k] else {
                if required { throw NetworkError(source: source, key: "\(path).\(k)", problem: "missing.", fix: "add `\(k): 0`") }
                return nil
            }
            // Plain decimal only: Yams' `Node.int` also reads YAML 1.1 base-60 (`1:30`) and traps on overflow there
            // (found by Scripts/fuzz.sh, fuzz-network).
            guard let text = n.scalar?.string, let v = Int(text), v >= 0 else {
                throw error("\(path).\(k)", n, "'\(n.string ?? "?")' is not a whole number ≥ 0.", "e.g. \(k): 1")
            }
            return v
        }
        func double(_ m: Node.Mapping, _ k: String, at path: String, positive: Bool = false) throws(NetworkError) -> Double? {
            guard let n = m[k] else { return nil }
            guard let text = n.scalar?.string, let v = Double(text), v.isFinite, v >= 0, !positive || v > 0 else {
                throw error("\(path).\(k)", n, "'\(n.string ?? "?")' is not a \(positive ? "positive" : "non-negative") number.", "e.g. \(k): 5")
            }
            return v
        }
    }
}
