// Runs the built `neuronctl` executable as a subprocess, from any working directory, with bounded waits.
//
// Exit codes, stderr, files on disk and signals are properties of the process, so the CLI is tested from outside
// (argument parsing is also tested in process, in ParsingTests.swift). The binary is the one built next to this
// test bundle by `swift build --build-tests` (which builds the executable too).

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum CLI {
    /// The package root: three levels above this file (Tests/NeuronctlTests/CLIHarness.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Absolute path of the mock board, so runs do not depend on the working directory.
    static var mockBoard: String { repoRoot.appendingPathComponent("Boards/mock.yaml").path }

    /// The `neuronctl` executable, or a message saying where it was looked for.
    static let binary: Result<URL, BinaryNotFound> = locateBinary()

    struct BinaryNotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "neuronctl executable not found. Build it first: swift build --build-tests --scratch-path .build-cli "
                + "(or set NEURONCTL_PATH). Looked in:\n  " + searched.joined(separator: "\n  ")
        }
    }

    /// Order: $NEURONCTL_PATH; the directory of the running test bundle (the products directory of this very
    /// build, so the binary matches the configuration under test); then the newest `.build*/**/debug|release/
    /// neuronctl` under the package root.
    private static func locateBinary() -> Result<URL, BinaryNotFound> {
        let fm = FileManager.default
        var searched: [String] = []
        func executable(_ url: URL) -> Bool {
            searched.append(url.path)
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &isDir) && !isDir.boolValue
                && fm.isExecutableFile(atPath: url.path)
        }
        if let env = ProcessInfo.processInfo.environment["NEURONCTL_PATH"], !env.isEmpty {
            let url = URL(fileURLWithPath: env)
            if executable(url) { return .success(url) }
        }
        // Products directories near the test runner: on Linux the runner is `<products>/X.xctest` (an
        // executable); on macOS it is xctest/swiftpm-testing-helper loading `<products>/X.xctest/Contents/...`.
        var candidates: [URL] = []
        let arg0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(arg0.deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        var ancestor = arg0
        while ancestor.path != "/" {  // walk out of X.xctest/Contents/MacOS
            if ancestor.pathExtension == "xctest" { candidates.append(ancestor.deletingLastPathComponent()) }
            ancestor = ancestor.deletingLastPathComponent()
        }
        for dir in candidates {
            let url = dir.appendingPathComponent("neuronctl")
            if executable(url) { return .success(url) }
        }
        // Fallback: any scratch directory of this package.
        var found: [(URL, Date)] = []
        if let scratch = try? fm.contentsOfDirectory(atPath: repoRoot.path) {
            for name in scratch where name.hasPrefix(".build") {
                let base = repoRoot.appendingPathComponent(name)
                var dirs = [base.appendingPathComponent("debug"), base.appendingPathComponent("release")]
                for triple in (try? fm.contentsOfDirectory(atPath: base.path)) ?? [] {
                    dirs.append(base.appendingPathComponent(triple).appendingPathComponent("debug"))
                    dirs.append(base.appendingPathComponent(triple).appendingPathComponent("release"))
                }
                for d in dirs {
                    let url = d.appendingPathComponent("neuronctl")
                    if executable(url) {
                        let date = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
                        found.append((url, date))
                    }
                }
            }
        }
        if let newest = found.max(by: { $0.1 < $1.1 }) { return .success(newest.0) }
        return .failure(BinaryNotFound(searched: searched))
    }

    /// The binary, or a thrown error whose message says how to build it (the test then fails with that message).
    static func executable() throws -> URL {
        try binary.get()
    }

    /// Runs `neuronctl args…` in `directory` (a fresh temporary directory by default, so nothing depends on the
    /// caller's working directory) and waits at most `timeout`; a child still running then is killed and the
    /// test fails. `executable`: another copy of the binary (default: the one this build made).
    static func run(
        _ args: [String], in directory: URL? = nil, timeout: Duration = .seconds(60), executable: URL? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Outcome {
        let scratch = try TemporaryDirectory()
        let child = try Child(args, in: directory ?? scratch.url, executable: executable)
        if try await !child.wait(timeout: timeout) {
            child.kill()
            Issue.record("neuronctl \(args.joined(separator: " ")) still running after \(timeout); killed",
                         sourceLocation: sourceLocation)
        }
        return child.outcome()
    }

    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var stdout: String
        var stderr: String
        /// True for a normal exit with `code` (not a death by signal).
        func exited(_ code: Int32) -> Bool { reason == .exit && status == code }
        var description: String {
            "status \(status) (\(reason == .exit ? "exit" : "signal")), stderr:\n\(stderr)\nstdout:\n\(stdout)"
        }
    }

    /// A running `neuronctl`, with stdout and stderr going to files (no pipe buffer can fill up and block it).
    final class Child {
        let process = Process()
        let io: TemporaryDirectory
        let startedAt = ContinuousClock.now

        /// `environment`: extra variables on top of this process's; `executable`: default `CLI.executable()`.
        init(_ args: [String], in directory: URL, environment: [String: String] = [:], executable: URL? = nil) throws {
            io = try TemporaryDirectory()
            process.executableURL = try executable ?? CLI.executable()
            process.arguments = args
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.currentDirectoryURL = directory
            let fm = FileManager.default
            _ = fm.createFile(atPath: io.url.appendingPathComponent("stdout").path, contents: nil)
            _ = fm.createFile(atPath: io.url.appendingPathComponent("stderr").path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: io.url.appendingPathComponent("stdout"))
            process.standardError = try FileHandle(forWritingTo: io.url.appendingPathComponent("stderr"))
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        /// Waits for the child to exit; false if it is still running after `timeout`.
        func wait(timeout: Duration) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                if ContinuousClock.now >= deadline { return false }
                try await Task.sleep(for: .milliseconds(10))
            }
            return true
        }

        /// True once the child has installed a handler for `signal` (Linux: the SigCgt mask in
        /// /proc/PID/status). Where /proc is missing, returns true (the caller's fixed delay has to do).
        func catches(_ signal: Int32) -> Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return true }
            for line in status.split(separator: "\n") where line.hasPrefix("SigCgt:") {
                let hex = line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces)
                guard let mask = UInt64(hex, radix: 16) else { return true }
                return mask & (UInt64(1) << UInt64(signal - 1)) != 0
            }
            return true
        }

        /// Waits until the child has installed a handler for `signal` (before that, the signal would kill it by
        /// default action; a slow start on a loaded machine must not make a test flaky). False if it has not within
        /// `timeout`, or has exited.
        func waitForHandler(_ signal: Int32, timeout: Duration = .seconds(10)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while !catches(signal) {
                guard ContinuousClock.now < deadline, process.isRunning else { return false }
                try await Task.sleep(for: .milliseconds(10))
            }
            return true
        }

        /// SIGKILL, then reap.
        func kill() {
            if process.isRunning {
                _ = sendSignal(pid, SIGKILL)
                process.waitUntilExit()
            }
        }

        func outcome() -> Outcome {
            func read(_ name: String) -> String {
                (try? String(contentsOf: io.url.appendingPathComponent(name), encoding: .utf8)) ?? ""
            }
            return Outcome(status: process.terminationStatus, reason: process.terminationReason,
                           stdout: read("stdout"), stderr: read("stderr"))
        }

        deinit { kill() }
    }
}

/// `kill(2)`, under a name that does not clash with `Child.kill()`.
private func sendSignal(_ pid: pid_t, _ sig: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.kill(pid, sig)
    #elseif canImport(Musl)
    Musl.kill(pid, sig)
    #else
    Darwin.kill(pid, sig)
    #endif
}

/// A fresh directory under the system temporary directory, removed when this value is released.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("neuronctl-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ component: String) -> String { url.appendingPathComponent(component).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

// MARK: - Record files

/// A CSV as neuronctl writes it: `# key: value` metadata lines, one header line, rows of plain numbers.
struct RecordCSV {
    var metadata: [String: String]
    var header: [String]
    var rows: [[Double]]

    /// Parses `path`, recording an issue for every deviation from the format (and returning what it could).
    static func load(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> RecordCSV {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "\(path) does not end with a newline", sourceLocation: sourceLocation)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var csv = RecordCSV(metadata: [:], header: [], rows: [])
        var i = 0
        while i < lines.count, lines[i].hasPrefix("#") {
            let line = lines[i]
            #expect(line.hasPrefix("# "), "metadata line \(i + 1) of \(path): \(line)", sourceLocation: sourceLocation)
            if let colon = line.firstIndex(of: ":") {
                let key = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
                csv.metadata[key] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            } else {
                Issue.record("metadata line \(i + 1) of \(path) has no 'key: value': \(line)", sourceLocation: sourceLocation)
            }
            i += 1
        }
        guard i < lines.count else {
            Issue.record("\(path) has no header line", sourceLocation: sourceLocation)
            return csv
        }
        csv.header = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        i += 1
        for (n, line) in lines[i...].enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == csv.header.count else {
                Issue.record("\(path) row \(n + 1) has \(fields.count) fields, header has \(csv.header.count): \(line)",
                             sourceLocation: sourceLocation)
                continue
            }
            var row: [Double] = []
            for f in fields {
                guard let v = Double(f), v.isFinite else {
                    Issue.record("\(path) row \(n + 1): '\(f)' is not a number", sourceLocation: sourceLocation)
                    continue
                }
                row.append(v)
            }
            csv.rows.append(row)
        }
        return csv
    }

    func column(_ name: String) -> [Double] {
        guard let k = header.firstIndex(of: name) else { return [] }
        return rows.map { $0[k] }
    }
}

/// summary.json (or `--json` output) as a dictionary.
func jsonObject(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: data)
    return try #require(object as? [String: Any], "top level is not a JSON object", sourceLocation: sourceLocation)
}

/// The value at `path` in a JSON object: keys, or array indices written as numbers ("channels", "0", "spikes").
func value(_ object: [String: Any], _ path: [String]) -> Any? {
    var current: Any? = object
    for key in path {
        if let i = Int(key), let array = current as? [Any] {
            current = i < array.count ? array[i] : nil
        } else {
            current = (current as? [String: Any])?[key]
        }
    }
    return current
}

func number(_ object: [String: Any], _ path: String...) -> Double? { (value(object, path) as? NSNumber)?.doubleValue }

func string(_ object: [String: Any], _ path: String...) -> String? { value(object, path) as? String }

extension String {
    /// The lines, with trailing spaces removed.
    var lines: [String] {
        split(separator: "\n", omittingEmptySubsequences: false).map {
            var s = Substring($0)
            while s.last == " " { s.removeLast() }
            return String(s)
        }
    }
}
