// Shared by the short, seeded parser-fuzzing tests (CI's version; Scripts/fuzz.sh runs libFuzzer).

/// Seeded byte mutations in the libFuzzer style: flip, insert, delete, duplicate, splice in tokens, truncate.
public struct Mutator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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

