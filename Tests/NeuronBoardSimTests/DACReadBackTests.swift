import Foundation
import NeuronBoard
import NeuronBoardSim
import NeuronHAL
import Testing

/// `Boards/` of this repository, found from this file's path (no test resources in Package.swift).
let boardsDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("Boards").path
}()

let mockPath = boardsDirectory + "/mock.yaml"

@Suite("DAC read-back after a run")
struct DACReadBackTests {
    func mockNeuron() throws -> (BoardRuntime, BoardRuntime.NeuronHardware) {
        let board = try BoardLoader.load(path: mockPath)
        let runtime = try BoardRuntime(simulating: board)
        return (runtime, try runtime.neuron(id: board.neurons[0].id))
    }

    @Test("a read that NAKs is repeated: the report says what the chip holds and how many reads failed")
    func retriesTransientFaults() throws {
        let (runtime, hw) = try mockNeuron()
        try hw.stimulus.setVoltage(.volts(0.5))
        runtime.simulation!.i2cBuses["i2c1"]!.faults(at: I2CAddress(0x60)).failNext(2, with: .noAcknowledge(.address))
        let r = hw.readBackStimulus(attempts: 3)
        #expect(r.failedReads == 2 && r.voltage != nil && abs(r.voltage!.volts - 0.5) < 0.01, "\(r)")
        #expect(r.text.contains("after 2 failed reads"), "\(r.text)")
        let clean = hw.readBackStimulus(attempts: 3)
        #expect(clean.failedReads == 0 && !clean.text.contains("failed"), "\(clean.text)")
    }

    @Test("a DAC that never answers is reported as failed, with the error")
    func persistentFault() throws {
        let (runtime, hw) = try mockNeuron()
        runtime.simulation!.i2cBuses["i2c1"]!.faults(at: I2CAddress(0x60)).failNext(5, with: .busFault)
        let r = hw.readBackStimulus(attempts: 3)
        #expect(r.voltage == nil && r.failedReads == 3 && r.lastError?.kind == .busFault, "\(r)")
        #expect(r.text.hasPrefix("DAC read-back FAILED after 3 reads"), "\(r.text)")
    }
}

/// `--board` at something that is not a board file says what it is, not "check its permissions".
