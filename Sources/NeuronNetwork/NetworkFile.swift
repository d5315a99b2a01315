public import NeuronHAL
public import NeuronControl
public import NeuronConfig

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
/// peers: [10.0.0.2, 10.0.1.0/24]   # who may send them: addresses or subnets (default: this machine only, 127.0.0.0/8)
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
    /// The senders `listen` accepts datagrams from; anyone else's are refused and counted.
    public var peers: PeerList
    /// Where each drive's keys are in the file (`drive[0].neuron` → line and column), so that the board checks made
    /// after parsing (`validateDrives`) are located like the parser's own.
    var locations: [String: ConfigLocation] = [:]

    public init(name: String, source: String, drives: [Drive] = [], routes: [Route] = [], listen: Endpoint? = nil, send: Endpoint? = nil,
                peers: PeerList = .loopback) {
        self.name = name
        self.source = source
        self.drives = drives
        self.routes = routes
        self.listen = listen
        self.send = send
        self.peers = peers
    }

    /// The decoder of network files: the one shared with board and sweep files.
    static let decoder = ConfigDecoder(kind: "network", example: "Boards/networks/two-neuron-loop.yaml")

    /// Reads and parses the network file at `path`.
    public static func load(path: String) throws(ConfigError) -> NetworkFile {
        try parse(decoder.load(path: path))
    }

    /// Parses a network file; errors are located as `file:line:col: key.path: problem Fix: ...`.
    public static func parse(yaml: String, source: String) throws(ConfigError) -> NetworkFile {
        try parse(decoder.parse(yaml, source: source))
    }

    private static func parse(_ document: ConfigDocument) throws(ConfigError) -> NetworkFile {
        let schema = try document.decode(Schema.self)
        if schema.routes.contains(where: { if case .external = $0.source { true } else { false } }), schema.listen == nil {
            throw document.error(at: ["routes"], "a route takes `from-address`, but the file has no `listen` endpoint to receive it on.",
                                 fix: "add `listen: 127.0.0.1:PORT`", onKey: true)
        }
        if schema.peers != nil, schema.listen == nil {
            throw document.error(at: ["peers"], "`peers` names who may send to `listen`, but the file has no `listen` endpoint.",
                                 fix: "add `listen: ADDRESS:PORT`, or remove `peers`", onKey: true)
        }
        var file = NetworkFile(name: schema.name, source: document.source, drives: schema.drives, routes: schema.routes,
                               listen: schema.listen, send: schema.send, peers: schema.peers.map(PeerList.init) ?? .loopback)
        for i in file.drives.indices {
            for key in [nil] + Drive.keys {
                let path: [ConfigKey] = ["drive", .index(i)] + (key.map { [ConfigKey($0)] } ?? [])
                file.locations[keyPath(i, key)] = document.location(of: path)
            }
        }
        return file
    }

    private static func keyPath(_ drive: Int, _ key: String?) -> String {
        "drive[\(drive)]" + (key.map { ".\($0)" } ?? "")
    }

    /// Checks the drives against the board's limits (routes are checked by `Engine.init`).
    public func validateDrives(limits: StimulusLimits, neurons: Set<Int>) throws(ConfigError) {
        for (i, d) in drives.enumerated() {
            guard neurons.contains(d.neuron) else {
                let key = Self.keyPath(i, "neuron")
                throw ConfigError(source: source, keyPath: key, at: locations[key], problem: "the board has no neuron with id \(d.neuron).",
                                  fix: "use one of: \(neurons.sorted().map(String.init).joined(separator: ", "))")
            }
            do {
                try PulseTrain(amplitude: d.amplitude, width: d.width, frequency: d.frequency, count: d.pulses ?? 1).validate(against: limits)
            } catch {
                let fileKey = ["amplitude": "amplitude-volts", "width": "width-ms", "frequency": "frequency-hz"][error.parameter] ?? error.parameter
                let key = Self.keyPath(i, fileKey)
                throw ConfigError(source: source, keyPath: key, at: locations[key] ?? locations[Self.keyPath(i, nil)],
                                  problem: error.problem, fix: error.fix)
            }
        }
    }

    // MARK: Schema

    /// The whole file, as the decoder reads it.
    private struct Schema: Decodable {
        var name = "network"
        var drives: [Drive]
        var routes: [Route]
        var listen: Endpoint?
        var send: Endpoint?
        var peers: [PeerList.Subnet]?

        init(from decoder: any Decoder) throws {
            let c = try decoder.keys(allowed: ["network", "drive", "routes", "listen", "send", "peers"])
            if let info = try c.optional("network", as: Info.self) { name = info.name ?? name }
            drives = try c.optional("drive", as: [DriveEntry].self)?.map(\.drive) ?? []
            routes = try c.optional("routes", as: [RouteEntry].self)?.map(\.route) ?? []
            listen = try c.optional("listen", as: EndpointEntry.self)?.endpoint
            send = try c.optional("send", as: EndpointEntry.self)?.endpoint
            peers = try c.optional("peers", as: [PeerEntry].self)?.map(\.subnet)
            if let peers, peers.isEmpty {
                throw c.problem("peers", "`peers` is empty: no sender could reach `listen`.",
                                      fix: "name the senders' addresses or subnets, e.g. peers: [10.0.0.2, 10.0.1.0/24], or remove the key for this machine only")
            }
        }
    }

    /// `network: { name, description }`.
    private struct Info: Decodable {
        var name: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.keys(allowed: ["name", "description"])
            name = try c.optional("name")
        }
    }

    /// Neuron ids, jAER addresses and pulse counts: whole numbers from 0 that fit a jAER address.
    private static let wholeNumbers = 0...Int(Int32.max)

    private struct DriveEntry: Decodable {
        var drive: Drive
        init(from decoder: any Decoder) throws {
            let c = try decoder.keys(allowed: Drive.keys)
            drive = Drive(
                neuron: try c.integer("neuron", in: wholeNumbers, example: "0"),
                amplitude: .volts(try c.number("amplitude-volts", in: 0...10, unit: "V", example: "0.75", default: 0.75)),
                width: .seconds(try c.number("width-ms", in: 0...60_000, unit: "ms", example: "5", default: 5) / 1e3),
                frequency: .hertz(try c.number("frequency-hz", in: 0.001...100_000, unit: "Hz", example: "33", default: 33)),
                pulses: c.contains("pulses") ? try c.integer("pulses", in: wholeNumbers, example: "100") : nil)
        }
    }

    private struct RouteEntry: Decodable {
        var route: Route
        init(from decoder: any Decoder) throws {
            let c = try decoder.keys(
                allowed: ["from", "from-address", "to", "amplitude-volts", "width-ms", "pulses", "interval-ms", "delay-ms"])
            let source: Route.Source
            switch (c.contains("from"), c.contains("from-address")) {
            case (true, false): source = .channel(try c.integer("from", in: wholeNumbers, example: "0"))
            case (false, true): source = .external(Int32(try c.integer("from-address", in: wholeNumbers, example: "0")))
            default:
                throw decoder.problem(
                    "give exactly one of `from` (a neuron id on this board) and `from-address` (a jAER address received on `listen`).",
                    fix: "e.g. from: 0")
            }
            route = Route(
                source: source, target: try c.integer("to", in: wholeNumbers, example: "1"),
                amplitude: .volts(try c.number("amplitude-volts", in: 0...10, unit: "V", example: "0.75", default: 0.75)),
                width: .seconds(try c.number("width-ms", in: 0...60_000, unit: "ms", example: "5", default: 5) / 1e3),
                pulses: try c.integer("pulses", in: wholeNumbers, example: "1", default: 1),
                interval: .seconds(try c.number("interval-ms", in: 0.001...3_600_000, unit: "ms", example: "15", default: 15) / 1e3),
                delay: .seconds(try c.number("delay-ms", in: 0...3_600_000, unit: "ms", example: "1", default: 0) / 1e3))
        }
    }

    private struct EndpointEntry: Decodable {
        var endpoint: Endpoint
        init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let endpoint = Endpoint(text) else {
                throw decoder.problem("'\(text)' is not HOST:PORT with an IPv4 address.", fix: "e.g. \(decoder.nodeName): 127.0.0.1:9001")
            }
            self.endpoint = endpoint
        }
    }

    private struct PeerEntry: Decodable {
        var subnet: PeerList.Subnet
        init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let subnet = PeerList.Subnet(text) else {
                throw decoder.problem("'\(text)' is not an IPv4 address or subnet (host bits clear under the mask).",
                                      fix: "e.g. 10.0.0.2 or 10.0.1.0/24")
            }
            self.subnet = subnet
        }
    }
}

extension NetworkFile.Drive {
    /// The keys of a `drive` entry.
    static let keys = ["neuron", "amplitude-volts", "width-ms", "frequency-hz", "pulses"]
}
