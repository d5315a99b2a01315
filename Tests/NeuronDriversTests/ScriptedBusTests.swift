import NeuronHAL
import NeuronTestSupport
import Testing

// The scripted buses are test infrastructure; these tests check that they catch what they must.

@Suite("Scripted buses")
struct ScriptedBusTests {
    @Test("matching traffic is answered and stamped with the clock")
    func answers() throws {
        let clock = TestClock()
        try withScriptedI2C([
            .write(0x60, [0x2A, 0xBC]),
            .writeRead(0x48, [0x01], reply: [0x85, 0x83]),
            .read(0x60, reply: [0xC0]),
        ], clock: clock) { bus in
            try bus.write(I2CAddress(0x60), [0x2A, 0xBC] as InlineArray<2, UInt8>)
            clock.advance(by: .milliseconds(1))
            let word: InlineArray<2, UInt8> = try bus.writeRead(I2CAddress(0x48), [0x01] as InlineArray<1, UInt8>)
            #expect(word[0] == 0x85 && word[1] == 0x83)
            let status: InlineArray<1, UInt8> = try bus.read(I2CAddress(0x60))
            #expect(status[0] == 0xC0)
            #expect(bus.transcript.map(\.at) == [ms(0), ms(1), ms(1)])
        }
    }

    @Test("an injected failure throws that kind and names the address")
    func failing() {
        withScriptedI2C([.write(0x60, [0x00]).failing(.noAcknowledge(.address))]) { bus in
            let error = #expect(throws: HardwareError.self) {
                try bus.write(I2CAddress(0x60), [0x00] as InlineArray<1, UInt8>)
            }
            #expect(error?.kind == .noAcknowledge(.address))
            #expect(error?.device == "scripted-i2c @ 0x60")
        }
    }

    @Test("unconsumed expectations are recorded as an issue")
    func leftovers() {
        withKnownIssue {
            withScriptedI2C([.write(0x60, [0x2A, 0xBC])]) { _ in }
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("never happened") && $0.rawValue.contains("0x2a 0xbc") }
        }
    }

    @Test("a mismatch is recorded with a diff and throws .protocolViolation")
    func mismatch() {
        withKnownIssue { () -> Void in
            withScriptedI2C([.write(0x60, [0x2A, 0xBC])]) { bus in
                let error = #expect(throws: HardwareError.self) {
                    try bus.write(I2CAddress(0x60), [0x2A, 0xBD] as InlineArray<2, UInt8>)
                }
                #expect(error?.kind == .protocolViolation)
            }
        } matching: { issue in
            issue.comments.contains { $0.rawValue.contains("index 1") && $0.rawValue.contains("0xbd") }
        }
    }

    @Test("traffic beyond the script is a mismatch")
    func beyondScript() {
        withKnownIssue("the read is not in the script") {
            withScriptedI2C([]) { bus in
                let error = #expect(throws: HardwareError.self) {
                    let _: InlineArray<2, UInt8> = try bus.read(I2CAddress(0x48))
                }
                #expect(error?.kind == .protocolViolation)
            }
        }
    }

    @Test("SPI: answers, failures, mismatches, leftovers")
    func spi() throws {
        try withScriptedSPI([.transfer([0x01, 0x80, 0x00], reply: [0x00, 0x02, 0xA3])]) { device in
            let rx = try device.transfer([0x01, 0x80, 0x00] as InlineArray<3, UInt8>)
            #expect(rx[1] == 0x02 && rx[2] == 0xA3)
        }
        withScriptedSPI([.transfer([0x07], reply: [0x00]).failing(.busFault)]) { device in
            let error = #expect(throws: HardwareError.self) { try device.transfer([0x07] as InlineArray<1, UInt8>) }
            #expect(error?.kind == .busFault)
        }
        withKnownIssue {
            withScriptedSPI([.transfer([0x07], reply: [0x00])]) { device in
                _ = try? device.transfer([0x06] as InlineArray<1, UInt8>)
            }
        }
        withKnownIssue {
            withScriptedSPI([.transfer([0x07], reply: [0x00])]) { _ in }
        }
    }

    @Test("an I2C mismatch names what differs: the address, a written byte, or the read length")
    func i2cDifferences() {
        let cases: [(I2CExpectation, (ScriptedI2CBus) throws -> Void, String)] = [
            (.write(0x60, [0x2A]), { try $0.write(I2CAddress(0x61), [0x2A] as InlineArray<1, UInt8>) },
             "address differs: expected 0x60, got 0x61"),
            (.write(0x60, [0x2A, 0xBC]), { try $0.write(I2CAddress(0x60), [0x2A] as InlineArray<1, UInt8>) },
             "written bytes differ at index 1 (expected 0xbc, got nothing)"),
            (.writeRead(0x48, [0x01], reply: [0x85, 0x83]), {
                let _: InlineArray<1, UInt8> = try $0.writeRead(I2CAddress(0x48), [0x01] as InlineArray<1, UInt8>)
            }, "read length differs: expected 2, got 1"),
        ]
        for (expectation, traffic, note) in cases {
            withKnownIssue {
                withScriptedI2C([expectation]) { bus in
                    #expect(throws: HardwareError.self) { try traffic(bus) }
                    #expect(bus.mismatched && bus.consumed == 0 && bus.remaining.count == 1)
                }
            } matching: { issue in
                issue.comments.contains {
                    $0.rawValue.hasPrefix("Scripted I2C bus: transaction 1 of 1 does not match the script")
                        && $0.rawValue.contains(note)
                }
            }
        }
    }

    @Test("after a mismatch every transfer throws, with one report in all, and finish() stays false")
    func oneReportPerMistake() {
        // A second report would name transfer 2 and not match: withKnownIssue would then fail the test.
        withKnownIssue {
            withScriptedSPI([.transfer([0x07], reply: [0x00]), .transfer([0x08], reply: [0x00])]) { device in
                _ = try? device.transfer([0x06] as InlineArray<1, UInt8>)
                let error = #expect(throws: HardwareError.self) { try device.transfer([0x08] as InlineArray<1, UInt8>) }
                #expect(error?.kind == .protocolViolation)
                #expect(error?.device == "scripted-spi")
                #expect(error?.operation == "scripted transfer")
                #expect(device.transcript.count == 2 && device.transcript.allSatisfy(\.reply.isEmpty))
                #expect(!device.finish() && !device.finish())
            }
        } matching: { issue in
            issue.comments.contains {
                $0.rawValue.hasPrefix("Scripted SPI device: transfer 1 of 2 does not match the script")
                    && $0.rawValue.contains("bytes differ at index 0 (expected 0x07, got 0x06)")
                    && $0.rawValue.contains("Transcript:\n  1. transfer [0x06]")
            }
        }
    }

    @Test("SPI leftovers and traffic beyond the script are reported in SPI terms")
    func spiReports() {
        withKnownIssue {
            withScriptedSPI([.transfer([0x07], reply: [0x00])]) { _ in }
        } matching: { issue in
            issue.comments.contains {
                $0.rawValue.hasPrefix("Scripted SPI device: 1 of 1 expected transfers never happened:\n  1. transfer [0x07]")
                    && $0.rawValue.hasSuffix("Transcript:\n  (no transfers)")
            }
        }
        withKnownIssue {
            withScriptedSPI([]) { device in
                let error = #expect(throws: HardwareError.self) { try device.transfer([0x01] as InlineArray<1, UInt8>) }
                #expect(error?.message == "transfer beyond the end of the script")
            }
        } matching: { issue in
            issue.comments.contains { $0.rawValue.hasPrefix("Scripted SPI device: unexpected transfer after the end of the script") }
        }
    }

    @Test("a consumed script: replies land in the transcript, finish() is true and idempotent")
    func consumedScript() throws {
        let device = ScriptedSPIDevice([.transfer([0x01, 0x80], reply: [0x00, 0x02])])
        let rx = try device.transfer([0x01, 0x80] as InlineArray<2, UInt8>)
        #expect(rx[1] == 0x02)
        #expect(device.transcript.map(\.reply) == [[0x00, 0x02]])
        #expect(device.consumed == 1 && device.remaining.isEmpty && !device.mismatched)
        #expect(device.finish() && device.finish())
        #expect(device.verifier.vocabulary.transfers == "transfers")
    }

    @Test("TestClock records sleeps and never goes back")
    func clock() {
        let clock = TestClock()
        clock.sleep(for: .milliseconds(5))
        clock.sleep(until: ms(2))  // already passed: returns at once
        #expect(clock.now == ms(5))
        #expect(clock.sleeps.map(\.duration) == [.milliseconds(5), .zero])
        #expect(clock.totalSlept == .milliseconds(5))
    }
}
