import NeuronHAL
import NeuronSim
import Testing

@Suite struct ManualClockTests {
    @Test func sleepAdvancesAndNeverGoesBack() {
        let clock = ManualClock()
        #expect(clock.now == .zero)
        clock.sleep(until: .ms(10))
        #expect(clock.now == .ms(10))
        clock.sleep(until: .ms(5))  // in the past: returns, time unchanged
        #expect(clock.now == .ms(10))
        clock.advance(by: .microseconds(250))
        #expect(clock.now == MonotonicInstant(nanoseconds: 10_250_000))
        clock.sleep(for: .milliseconds(1))
        #expect(clock.now == MonotonicInstant(nanoseconds: 11_250_000))
        clock.advance(to: .ms(3))
        #expect(clock.now == MonotonicInstant(nanoseconds: 11_250_000))
        #expect(clock.sleepCount == 3)
    }
}

/// A target that records what it received and answers a fixed pattern.
final class EchoTarget: SimI2CTarget {
    var received: [[UInt8]] = []
    var nakAt: Int?
    func receive(_ bytes: UnsafeRawBufferPointer) throws(SimI2CDataNAK) {
        if let nakAt, bytes.count > nakAt { throw SimI2CDataNAK(byteIndex: nakAt) }
        received.append(Array(bytes))
    }
    func transmit(into buffer: UnsafeMutableRawBufferPointer) {
        for i in 0..<buffer.count { buffer[i] = UInt8(0xA0 + i) }
    }
}

@Suite struct SimI2CBusTests {
    @Test func absentAddressIsNotAcknowledged() {
        let bus = SimI2CBus(name: "sim:i2c1")
        do {
            _ = try i2c(bus, 0x50, [0x00], read: 2)
            Issue.record("expected a NAK")
        } catch let e as HardwareError {
            #expect(e.kind == .noAcknowledge(.address))
            #expect(e.device == "sim:i2c1 @ 0x50")
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func routesByAddressWriteThenRead() throws {
        let bus = SimI2CBus(name: "sim:i2c1")
        let t = EchoTarget()
        bus.attach(t, at: I2CAddress(0x48))
        #expect(try i2c(bus, 0x48, [0x01, 0x02], read: 3) == [0xA0, 0xA1, 0xA2])
        #expect(try i2c(bus, 0x48, [], read: 1) == [0xA0])  // read-only: no write phase
        _ = try i2c(bus, 0x48, [])  // quick command reaches the model as an empty write
        #expect(t.received == [[0x01, 0x02], []])
        #expect(bus.transactionCount == 3)
    }

    @Test func modelNAKOnDataIsReported() {
        let bus = SimI2CBus(name: "sim:i2c1")
        let t = EchoTarget()
        t.nakAt = 1
        bus.attach(t, at: I2CAddress(0x60))
        #expect { _ = try i2c(bus, 0x60, [0x40, 0x12, 0x34]) } throws: { e in
            (e as? HardwareError)?.kind == .noAcknowledge(.data)
        }
    }

    @Test func failNextCountsAndDoesNotReachTheModel() throws {
        let bus = SimI2CBus(name: "sim:i2c1")
        let t = EchoTarget()
        bus.attach(t, at: I2CAddress(0x48))
        bus.faults.failNext(2, with: .timedOut)
        for _ in 0..<2 {
            #expect { _ = try i2c(bus, 0x48, [0x01]) } throws: { e in (e as? HardwareError)?.kind == .timedOut }
        }
        _ = try i2c(bus, 0x48, [0x01])
        #expect(t.received == [[0x01]])
        #expect(bus.faults.injectedFailures == 2)
        bus.faults(at: I2CAddress(0x48)).failNext(1, with: .noAcknowledge(.address))
        #expect(throws: HardwareError.self) { _ = try i2c(bus, 0x48, [0x01]) }
        _ = try i2c(bus, 0x48, [0x01])
    }

    /// Runs 200 transfers with a random fault rate and read corruption; returns the outcome pattern.
    func faultPattern(seed: UInt64) -> [String] {
        let bus = SimI2CBus(name: "sim:i2c1")
        bus.attach(EchoTarget(), at: I2CAddress(0x48))
        bus.faults.rate(0.2, kinds: [.busFault, .arbitrationLost], seed: seed)
        bus.faults.corruptReads(0.1, seed: seed &+ 1)
        var pattern: [String] = []
        for _ in 0..<200 {
            do {
                let r = try i2c(bus, 0x48, [0x00], read: 2)
                pattern.append(r == [0xA0, 0xA1] ? "ok" : "corrupt \(r)")
            } catch let e as HardwareError {
                pattern.append("\(e.kind)")
            } catch { pattern.append("?") }
        }
        return pattern
    }

    @Test func randomFaultsAreDeterministicForASeed() {
        let a = faultPattern(seed: 42)
        #expect(a == faultPattern(seed: 42))
        #expect(a != faultPattern(seed: 43))
        let failures = a.filter { $0 == "bus fault" || $0 == "arbitration lost" }.count
        let corrupt = a.filter { $0.hasPrefix("corrupt") }.count
        #expect((20...60).contains(failures))  // 20 % of 200, loosely
        #expect((3...35).contains(corrupt))
        #expect(a.contains("bus fault") && a.contains("arbitration lost"))
    }

    @Test func corruptNextReadFlipsExactlyOneBit() throws {
        let bus = SimI2CBus(name: "sim:i2c1")
        bus.attach(EchoTarget(), at: I2CAddress(0x48))
        bus.faults.corruptNextReads(1)
        let r = try i2c(bus, 0x48, [], read: 2)
        let flipped = (r[0] ^ 0xA0).nonzeroBitCount + (r[1] ^ 0xA1).nonzeroBitCount
        #expect(flipped == 1)
        #expect(bus.faults.corruptedReplies == 1)
        #expect(try i2c(bus, 0x48, [], read: 2) == [0xA0, 0xA1])
    }
}
