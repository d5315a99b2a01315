import Dispatch
import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// Where the live view listens: `[HOST:]PORT`, HOST an IPv4 address (or `localhost`). Loopback unless another
/// address is given: a viewer on another machine needs an explicit `0.0.0.0:PORT` (or the machine's address).
public struct LiveEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public static let standard = LiveEndpoint(host: "127.0.0.1", port: 8080)
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `PORT` or `HOST:PORT` (port 0: any free port, the bound one is in `LiveServer.url`).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let port = parts.last.flatMap({ UInt16($0) }) else { return nil }
        var host = parts.count == 2 ? String(parts[0]) : "127.0.0.1"
        if host == "localhost" { host = "127.0.0.1" }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return nil }
        self.init(host: host, port: port)
    }

    public var isLoopback: Bool { host.hasPrefix("127.") }
    public var description: String { "\(host):\(port)" }
}

/// The live view's server could not start; the message names the address and the fix.
public struct LiveError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Serves the page and the feed over HTTP and WebSockets (FlyingFox, on Swift's concurrency pool: no thread of
/// the loop's, no real-time priority). Read-only: `GET /` (the page), `GET /ws` (the feed), `GET /status.json`
/// (figures and counts); any other method is refused (405) and any other path is not found (404), both counted.
/// A malformed or cut-short request closes that connection only, and is counted (`LiveReport.badRequests`), as is a
/// viewer that vanishes without a WebSocket close (`viewersCutOff`).
public final class LiveServer: @unchecked Sendable {
    public let feed: LiveFeed
    public let endpoint: LiveEndpoint
    /// The port bound (the endpoint's, or the one the system chose for port 0).
    public let port: UInt16
    private let server: HTTPServer
    private let runTask: Task<Void, Never>

    /// Binds and starts listening; returns once the server accepts connections.
    public init(feed: LiveFeed, endpoint: LiveEndpoint) throws(LiveError) {
        self.feed = feed
        self.endpoint = endpoint
        let address: sockaddr_in
        do { address = try .inet(ip4: endpoint.host, port: endpoint.port) } catch {
            throw LiveError(description: "--live \(endpoint): not an IPv4 address. Fix: give e.g. --live 127.0.0.1:8080")
        }
        let server = HTTPServer(config: .init(address: address, timeout: 15, logger: CountingLogger(feed: feed)),
                                handler: LiveHTTPHandler(feed: feed))
        self.server = server
        let ready = DispatchSemaphore(value: 0)
        let outcome = StartOutcome()
        runTask = Task {
            do { try await server.run() } catch {
                outcome.set(.failure(LiveError(description: "--live \(endpoint): cannot listen (\(error.localizedDescription)). Fix: choose another port (e.g. --live \(endpoint.host):\(endpoint.port &+ 1)) or stop what holds this one.")))
                ready.signal()
            }
        }
        Task {
            do {
                try await server.waitUntilListening(timeout: 10)
                var bound = endpoint.port
                if case .ip4(_, let p)? = await server.listeningAddress { bound = p }
                outcome.set(.success(bound))
            } catch {
                outcome.set(.failure(LiveError(description: "--live \(endpoint): the server did not start listening within 10 s. Fix: check that the address belongs to this machine.")))
            }
            ready.signal()
        }
        ready.wait()
        switch outcome.value.withLock({ $0 })! {
        case .success(let p): port = p
        case .failure(let e):
            runTask.cancel()
            throw e
        }
    }

    /// The address to open in a browser.
    public var url: String { "http://\(endpoint.host):\(port)/" }

    /// Closes the listening socket and every connection (each viewer's socket closes after what was queued for it).
    public func stop() {
        let done = DispatchSemaphore(value: 0)
        Task { [server] in
            await server.stop(timeout: 1)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 3)
        runTask.cancel()
    }
}

/// The first of: listening (the bound port) or failing to.
private final class StartOutcome: Sendable {
    let value = Mutex<Result<UInt16, LiveError>?>(nil)
    func set(_ r: Result<UInt16, LiveError>) { value.withLock { $0 = $0 ?? r } }
}

/// Counts the server's error reports: each is a connection it closed over a malformed request, one cut short by a
/// reset, or a response the client went away from (a client that reads its response and closes is not one).
struct CountingLogger: Logging {
    let feed: LiveFeed
    func logDebug(_ debug: @autoclosure () -> String) {}
    func logInfo(_ info: @autoclosure () -> String) {}
    func logWarning(_ warning: @autoclosure () -> String) {}
    func logError(_ error: @autoclosure () -> String) { feed.count { $0.badRequests += 1 } }
    func logCritical(_ critical: @autoclosure () -> String) { feed.count { $0.badRequests += 1 } }
}

struct LiveHTTPHandler: HTTPHandler {
    let feed: LiveFeed

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.method == .GET else {
            feed.count { $0.refusedRequests += 1 }
            return HTTPResponse(statusCode: .methodNotAllowed, headers: [HTTPHeader("Allow"): "GET"], body: Data("read-only: GET only\n".utf8))
        }
        switch request.path {
        case "/", "/index.html":
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                                body: Data(LivePage.html.utf8))
        case "/ws":
            return try await WebSocketHTTPHandler(handler: LiveSocket(feed: feed)).handleRequest(request)
        case "/status.json":
            let body = LiveWire.json("status", StatusFile(info: feed.info, figures: feed.figures, viewers: feed.viewerCount, report: feed.report))
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: Data(body.utf8))
        default:
            feed.count { $0.refusedRequests += 1 }
            return HTTPResponse(statusCode: .notFound, body: Data("not found: the live view serves /, /ws and /status.json\n".utf8))
        }
    }
}

private struct StatusFile: Encodable {
    var info: LiveRunInfo
    var figures: [LiveChannelFigures]
    var viewers: Int
    var report: LiveReport
}

/// One viewer's WebSocket: the feed's frames out; what the browser sends is read only to notice a close (anything
/// else is ignored and counted: the view changes nothing).
struct LiveSocket: WSHandler {
    let feed: LiveFeed

    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        guard let viewer = feed.join() else {
            return AsyncStream { c in
                c.yield(.close(code: WSCloseCode(1013, reason: "too many viewers")))
                c.finish()
            }
        }
        Task { [feed] in
            var closed = false
            do {
                for try await frame in client {
                    if frame.opcode == .close {
                        closed = true
                        break
                    }
                    if frame.opcode == .text || frame.opcode == .binary { feed.count { $0.ignoredMessages += 1 } }
                }
            } catch {}
            feed.close(viewer.id, abruptly: !closed)
        }
        return viewer.frames
    }
}
