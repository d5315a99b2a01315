import NeuronPhysics

// Shared by the short, seeded parser-fuzzing tests (CI's version; Scripts/fuzz.sh runs libFuzzer).

/// Seeded byte mutations in the libFuzzer style: flip, insert, delete, duplicate, splice in tokens, truncate.
public struct Mutator {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    public static let tokens: [[UInt8]] = ["1e308", "-1", "0x", "NaN", "inf", ":", "- ", "{", "}", "[", "]", "\n", "\t", "&a", "*a", "!!binary",
                                    "---", "#", ",", "\"", "'", "99999999999999999999", "0.0", "\u{0}", "é", "true", "null"].map { Array($0.utf8) }
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0...below(4) {
            switch below(7) {
            case 0 where !b.isEmpty: b[below(b.count)] ^= UInt8(1) << UInt8(below(8))
            case 1: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
            case 2 where !b.isEmpty: b.remove(at: below(b.count))
            case 3: b.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(b.count + 1))
            case 4 where !b.isEmpty: b.removeSubrange(below(b.count)...)
            case 5 where b.count > 2:
                let i = below(b.count - 1), n = min(below(16) + 1, b.count - i)
                b.insert(contentsOf: b[i..<(i + n)], at: below(b.count + 1))
            default: b = (0..<below(64)).map { _ in UInt8(truncatingIfNeeded: next()) }
            }
        }
        return b
    }
}

