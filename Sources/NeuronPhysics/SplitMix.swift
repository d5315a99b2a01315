#if canImport(Glibc)
import Glibc  // math only (log, exp); syscalls stay in the Linux backend
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea and Flood 2014): the seeding generator of xoshiro, and on its own a small, fast,
/// seeded generator whose whole sequence is fixed by the seed on every platform. The one copy in the package:
/// `SeededGenerator` seeds from it, the simulated bus faults (`SimRandom`) and the fuzzing mutator draw from it,
/// population seeds are mixed with its finaliser. Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.finalize(state)
    }

    /// The golden-ratio step between states.
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The output function: a bijective mix of 64 bits (also a good hash for combining seeds).
    @inlinable
    public static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A small, fast, seedable generator (xoshiro256** seeded through SplitMix64), so that every simulated run is
/// reproducible byte for byte from its seed on every platform. Not for cryptography.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// The second value of the last Box-Muller pair, NaN when used up.
    private var spareGaussian = Double.nan

    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    }

    /// Masking shifts: k is 7 or 45, and the checked `<<` would cost a call and a range test per draw.
    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x &<< k) | (x &>> (64 &- k)) }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 &<< 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in the open interval (0, 1]: safe for `log`.
    public mutating func nextOpenUnit() -> Double { (Double(next() >> 11) + 1) * 0x1.0p-53 }

    /// An exponential variate with mean 1.
    public mutating func nextExponential() -> Double { -log(nextOpenUnit()) }

    /// A standard normal variate (Box-Muller; the pair's second value is kept for the next call).
    public mutating func nextGaussian() -> Double {
        if !spareGaussian.isNaN {
            defer { spareGaussian = .nan }
            return spareGaussian
        }
        let u1 = nextOpenUnit(), u2 = nextUnit()
        let r = (-2 * log(u1)).squareRoot()
        let a = 2 * Double.pi * u2
        spareGaussian = r * sin(a)
        return r * cos(a)
    }

    /// An approximately standard normal variate, cheaply: the Irwin-Hall sum of four uniforms, centred and scaled to
    /// unit variance. Its tails stop at ±3.46 σ; it is meant for measurement noise, where that is irrelevant and
    /// the 10 000 draws per simulated second must cost no transcendental functions. The four uniforms are the four
    /// 16-bit lanes of one draw: 2^-16 steps are far below any ADC's resolution of the noise.
    @inlinable @inline(__always)  // into the simulated ADCs' sample path
    public mutating func nextNoise() -> Double {
        let a = next()
        let lanes = (a >> 48) + ((a >> 32) & 0xFFFF) + ((a >> 16) & 0xFFFF) + (a & 0xFFFF)  // 0 ... 4·65535, exact
        return (Double(lanes) * 0x1.0p-16 - 2) * 1.7320508075688772  // sqrt(12 / 4)
    }

    /// Log-uniform in [lower, upper] (for resistances spread over a factor of a few).
    public mutating func nextLogUniform(_ lower: Double, _ upper: Double) -> Double {
        exp(log(lower) + (log(upper) - log(lower)) * nextUnit())
    }

    /// Uniform in [lower, upper].
    public mutating func nextUniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * nextUnit()
    }
}
