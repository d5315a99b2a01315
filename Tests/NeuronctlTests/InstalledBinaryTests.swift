// `neuronctl` installed as a newcomer would install it (README "Installing neuronctl"): the binary copied on its own
// into a folder, then run from an empty folder, with no Boards/ anywhere near either. The default board is the
// built-in one.

import Foundation
import Testing

extension NeuronctlCLITests {
    @Suite struct InstalledBinary {
        /// A copy of the built binary in a folder of its own, as `install -m 755 .build/release/neuronctl
        /// /usr/local/bin/` leaves it.
        static func install(into dir: TemporaryDirectory) throws -> URL {
            let installed = dir.url.appendingPathComponent("bin/neuronctl")
            try FileManager.default.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: try CLI.executable(), to: installed)
            return installed
        }

        @Test func runsFromAnEmptyFolderOnTheBuiltInBoard() async throws {
            let prefix = try TemporaryDirectory()
            let installed = try Self.install(into: prefix)
            let work = try TemporaryDirectory()
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.url.path).isEmpty)

            let r = try await CLI.run(["run", "--pulses", "10"], in: work.url, executable: installed)
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            let lines = r.stdout.lines
            #expect(lines.first?.hasPrefix("NeuronHIL run on board mock (built-in:mock), simulated") == true, "\(r.stdout)")
            #expect(lines.contains("pulses applied      10"))
            #expect(lines.contains("ended               completed"))
            #expect(lines.contains { $0.hasPrefix("safe state          reached") })
            for file in ["trace.csv", "spikes.csv", "summary.json"] {
                #expect(FileManager.default.fileExists(atPath: work.path("neuronhil-out/\(file)")), "no \(file)")
            }
            #expect(RecordCSVMetadata.board(in: work.path("neuronhil-out/spikes.csv"))?.hasPrefix("mock") == true)
        }

        /// `board show mock` prints the built-in board, which is Boards/mock.yaml; saved and edited it is a board file.
        @Test func boardShowPrintsTheBuiltInBoardAsAFile() async throws {
            let prefix = try TemporaryDirectory()
            let installed = try Self.install(into: prefix)
            let work = try TemporaryDirectory()
            let show = try await CLI.run(["board", "show", "mock"], in: work.url, executable: installed)
            #expect(show.exited(0), "\(show.description)")
            #expect(show.stdout == (try String(contentsOfFile: CLI.mockBoard, encoding: .utf8)))

            try show.stdout.replacingOccurrences(of: "name: mock", with: "name: mine")
                .write(toFile: work.path("mine.yaml"), atomically: true, encoding: .utf8)
            let validate = try await CLI.run(["board", "validate", "mine.yaml"], in: work.url, executable: installed)
            #expect(validate.exited(0), "\(validate.description)")
            let run = try await CLI.run(["run", "--board", "mine.yaml", "--pulses", "3"], in: work.url, executable: installed)
            #expect(run.exited(0), "\(run.description)")
            #expect(run.stdout.hasPrefix("NeuronHIL run on board mine (mine.yaml)"), "\(run.stdout)")

            let unknown = try await CLI.run(["run", "--board", "mine"], in: work.url, executable: installed)
            #expect(unknown.exited(64), "\(unknown.description)")
            #expect(unknown.stderr.contains("no built-in board named 'mine'") && unknown.stderr.contains("./mine"), "\(unknown.stderr)")
            let noShow = try await CLI.run(["board", "show", "rpi9"], in: work.url, executable: installed)
            #expect(noShow.exited(2) && noShow.stderr.contains("built-in boards: mock"), "\(noShow.description)")
        }
    }
}

/// The `board` metadata line of a record file written by `run`.
enum RecordCSVMetadata {
    static func board(in path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("# board: ") }.map { String($0.dropFirst("# board: ".count)) }
    }
}
