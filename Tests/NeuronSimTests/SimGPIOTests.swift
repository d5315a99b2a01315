import NeuronHAL
import NeuronSim
import Testing

@Suite struct SimGPIOTests {
    let clock = ManualClock()
    let chip: SimGPIOChip

    init() { chip = SimGPIOChip(name: "sim:gpiochip0", clock: clock) }

    @Test func outputRecordsLogicalAndElectricalWithActiveLow() throws {
        let reset = chip.output("MEMRISTOR_RESET", activeLow: true)
        var seen: [(MonotonicInstant, LineValue)] = []
        reset.onChange = { seen.append(($0, $1)) }
        #expect(reset.value == .inactive && reset.level == true)
        clock.advance(by: .milliseconds(2))
        try reset.set(.active)
        try reset.set(.active)  // no change
        #expect(reset.level == false)
        clock.advance(by: .milliseconds(1))
        try reset.set(.inactive)
        #expect(reset.history.map(\.instant) == [.ms(2), .ms(3)])
        #expect(reset.history.map(\.value) == [.active, .inactive])
        #expect(reset.history.map(\.level) == [false, true])
        #expect(seen.count == 2 && seen[0].1 == .active)
        #expect(reset.setCount == 3)
        #expect(chip.outputLine(named: "MEMRISTOR_RESET") === reset)
    }

    @Test func drivenEdgesWithActiveLowAndSequenceNumbers() throws {
        let line = chip.input("SPIKE", activeLow: true, initialLevel: true)
        #expect(try line.get() == .inactive)
        line.drive(level: false, at: .us(100))  // electrical falling = logical rising
        line.drive(level: false, at: .us(150))  // same level: no edge
        line.drive(level: true, at: .us(400))
        #expect(try line.get() == .inactive)  // not yet at 100 µs
        let e1 = try line.waitEdge(until: .ms(1))
        #expect(e1 == EdgeEvent(kind: .rising, timestamp: .us(100), sequence: 1))
        #expect(clock.now == .us(100))
        #expect(try line.get() == .active)
        let none = try line.waitEdge(until: .us(300))
        #expect(none == nil && clock.now == .us(300))
        let e2 = try line.waitEdge(until: .ms(1))
        #expect(e2 == EdgeEvent(kind: .falling, timestamp: .us(400), sequence: 2))
        // An edge that happened while nobody waited is returned at once, without moving the clock back.
        clock.advance(to: .ms(2))
        line.drive(level: false, at: .us(1500))
        let e3 = try line.waitEdge(until: .ms(3))
        #expect(e3?.timestamp == .us(1500) && clock.now == .ms(2))
        #expect(try line.waitEdge(until: .ms(1)) == nil && clock.now == .ms(2))
    }

    @Test func lazyLevelSourceLikeAComparator() throws {
        let line = chip.input("COMPARATOR")
        var evaluations = 0
        // A capacitor node charging from 0 with 1 V/ms, crossing a 2.5 V threshold at 2.5 ms; reset at 6 ms.
        line.setSource({ t in
            evaluations += 1
            let v = t < .ms(6) ? t.seconds * 1000 : 0
            return v >= 2.5
        }, resolution: .microseconds(10))
        let e1 = try line.waitEdge(until: .ms(10))
        #expect(e1?.kind == .rising && e1?.timestamp == .us(2500))
        #expect(clock.now == .us(2500))
        #expect(evaluations <= 252)  // scanning stopped at the first edge
        let e2 = try line.waitEdge(until: .ms(10))
        #expect(e2?.kind == .falling && e2?.timestamp == .ms(6))
        #expect(try line.waitEdge(until: .ms(10)) == nil && clock.now == .ms(10))
        #expect(try line.get() == .inactive)
    }

    @Test func injectedFaultOnSet() {
        let out = chip.output("LED")
        out.faults.failNext(1, with: .notFound)
        #expect(throws: HardwareError.self) { try out.set(.active) }
        #expect(out.value == .inactive)
    }
}
