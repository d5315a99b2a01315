import Foundation
import Glibc
import NeuronBoard
import NeuronBoardLinux
import NeuronHAL
@testable import NeuronLinux
import Testing

private let boards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Boards")

@Suite("Raspberry Pi boards on the Linux backends, through the seam")
struct LinuxBoardSeamTests {
    @Test(arguments: ["rpi4.yaml", "rpi5.yaml"])
    func boardComesUpAndOpensEveryBusAndLine(file: String) throws {
        let board = try BoardLoader.load(path: boards.appendingPathComponent(file).path)
        try SyscallMock.with { mock in
            mock.responder = { name, _ in name == "gpiod_find_line" ? 27 : nil }
            let runtime = try BoardRuntime(linux: board)
            #expect(runtime.linux != nil)
            #expect(mock.trace.contains("open(/dev/i2c-1)"))
            #expect(mock.trace.contains("open(/dev/spidev0.0)"))
            let chip = file == "rpi5.yaml" ? "pinctrl-rp1" : "gpiochip0"
            #expect(mock.trace.filter { $0 == "gpiod_resolve_chip(\(chip))" }.count == 3)
            #expect(mock.trace.contains { $0.contains("active-low 1") && $0.contains("neuronhil-stimulus-gate") })
            #expect(mock.trace.contains { $0.contains("input, edge 3, bias 1") && $0.contains("neuronhil-comparator") })
            // Bring-up makes no bus transfer.
            #expect(!mock.trace.contains { $0.hasPrefix("i2c_smbus") || $0.contains("SPI_IOC_MESSAGE") })
            // The stimulus path: the DAC write, then the gate.
            let n0 = try runtime.neuron(id: 0)
            try n0.stimulus.setVoltage(.volts(0.5))
            #expect(Array(mock.trace.suffix(3)) == [
                // 0.5 V of 3.3 V: code round(0.5 / 3.3 · 4096) = 621 = 0x26D, fast write [0x02, 0x6D].
                "ioctl(3, I2C_SLAVE, 0x60)", "i2c_smbus_write_byte_data(3, 0x02, 0x6d)", "gpiod_set_value(1)",
            ])
        }
    }

    @Test func permissionDeniedBecomesABoardErrorWithTheFix() throws {
        let board = try BoardLoader.load(path: boards.appendingPathComponent("rpi4.yaml").path)
        SyscallMock.with { mock in
            mock.force(EACCES, on: "open(/dev/spidev")
            let error = #expect(throws: BoardError.self) { try BoardRuntime(linux: board) }
            #expect(error?.keyPath == "buses.spi0.device")
            #expect(error?.problem.contains("/dev/spidev0.0") == true)
            #expect(error?.problem.contains("permission denied") == true)
            #expect(error?.fix.contains("install-udev-rules.sh") == true)
            // The I2C bus opened before it is closed again.
            #expect(mock.trace.contains("close(3)"))
        }
    }

    @Test func lineHeldByAnotherProgramBecomesABoardError() throws {
        let board = try BoardLoader.load(path: boards.appendingPathComponent("rpi4.yaml").path)
        SyscallMock.with { mock in
            mock.force(EBUSY, on: "gpiod_request_line")
            let error = #expect(throws: BoardError.self) { try BoardRuntime(linux: board) }
            #expect(error?.keyPath == "gpio.lines.comparator")
            #expect(error?.fix.contains("gpioinfo") == true)
        }
    }

    @Test func probeReportsChipsThatDoNotAnswerAndTheirFixes() throws {
        let board = try BoardLoader.load(path: boards.appendingPathComponent("rpi4.yaml").path)
        SyscallMock.with { mock in
            mock.force(EREMOTEIO, on: "ioctl(3, I2C_RDWR, 0x60", count: 1)  // the Pi's NAK
            mock.responder = { name, buffer in
                if name == "gpiod_line_info" { return 0 }
                if name == "ioctl(SPI_IOC_MESSAGE(1))", let buffer { buffer[1] = 0xFF; return 3 }  // MISO floating high
                return nil
            }
            let report = BoardProbe.linux(board)
            #expect(!report.passed)
            let dac = report.checks.first { $0.name == "dac0" }
            #expect(dac?.status == .fault)
            #expect(dac?.detail.contains("no acknowledge (unknown)") == true)
            #expect(dac?.fix.contains("check the address") == true)
            let adc = report.checks.first { $0.name == "adc0" }
            #expect(adc?.status == .fault)
            #expect(adc?.fix.contains("null bit") == true)
            // The ADS1015 read back a config other than the one written (the mock answers zeros).
            let monitor = report.checks.first { $0.name == "monitor" }
            #expect(monitor?.status == .fault)
            #expect(report.checks.filter { $0.category == "gpio" }.allSatisfy { $0.status == .ok })
            #expect(report.text.contains("fault(s):"))
        }
    }

    @Test func probeReportsAChipThatCannotBeOpened() throws {
        let board = try BoardLoader.load(path: boards.appendingPathComponent("rpi5.yaml").path)
        SyscallMock.with { mock in
            mock.force(ENOENT, on: "gpiod_resolve_chip")
            let report = BoardProbe.linux(board)
            let chip = report.checks.first { $0.category == "gpio" && $0.status == .fault }
            #expect(chip?.fix.contains("pinctrl-rp1") == true)
            #expect(report.checks.filter { $0.status == .skipped }.count == 3)
        }
    }
}
