import Foundation
import Testing

extension NeuronctlCLITests {
    @Suite struct Probe {
        @Test func mockBoardProbesClean() async throws {
            let r = try await CLI.run(["probe", "--board", CLI.mockBoard])
            #expect(r.exited(0), "\(r.description)")
            #expect(r.stdout.contains("probe of board mock (simulated)"))
            #expect(r.stdout.contains("dac0") && r.stdout.contains("MCP4725 ACK"))
            #expect(r.stdout.contains("ADS1015 ACK; config read back"))
            #expect(r.stdout.contains("MCP3208 null bit 0"))
            #expect(r.stdout.contains("stimulus-gate") && r.stdout.contains("active-low"))
            #expect(r.stdout.contains("all 8 checks passed"))
        }

        @Test func realBoardWithoutItsBusesNamesEachFaultAndFix() async throws {
            // A Raspberry Pi board file on a machine with none of its device nodes.
            let dir = try TemporaryDirectory()
            let rpi4 = try String(contentsOfFile: CLI.repoRoot.appendingPathComponent("Boards/rpi4.yaml").path, encoding: .utf8)
            let path = dir.path("absent.yaml")
            try rpi4.replacingOccurrences(of: "/dev/i2c-1", with: "/dev/i2c-97")
                .replacingOccurrences(of: "/dev/spidev0.0", with: "/dev/spidev97.0")
                .replacingOccurrences(of: "chip: gpiochip0", with: "chip: gpiochip97")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await CLI.run(["probe", "--board", path])
            #expect(r.exited(1), "\(r.description)")
            #expect(r.stdout.contains("i2c i2c1 at /dev/i2c-97: open: not found"))
            #expect(r.stdout.contains("Fix: enable the bus (dtparam=i2c_arm=on"))
            #expect(r.stdout.contains("spi spi0 at /dev/spidev97.0"))
            #expect(r.stdout.contains("gpiochip97"))
            #expect(r.stdout.contains("skipped"))
        }

        @Test func brokenBoardFileExitsTwo() async throws {
            let r = try await CLI.run(["probe", "--board", "/nonexistent/board.yaml"])
            #expect(r.exited(2), "\(r.description)")
        }
    }
}
