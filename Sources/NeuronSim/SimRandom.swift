import NeuronPhysics

/// The fault injector's seeded generator (NeuronPhysics' `SplitMix64`), so fault injection is reproducible from a
/// seed on every platform. Deliberately not `SystemRandomNumberGenerator` and not Foundation: the same seed must
/// give the same faults in every run.
public struct SimRandom: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    /// A generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { generator.next() }

    /// A uniform Double in 0..<1 (53 random bits).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in 0..<bound (bound > 0), by Lemire's multiply-shift; the tiny bias is irrelevant here.
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
