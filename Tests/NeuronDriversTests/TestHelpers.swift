import NeuronHAL
import Testing

/// A 12-bit DAC code from a literal (test vectors are valid by construction).
func code12(_ value: Int) -> DACCode { DACCode(value, bits: 12)! }

/// Volts compared to 1 nV: enough for exact binary fractions, tolerant of rounding in the scale.
func approximately(_ a: Voltage, _ b: Double) -> Bool { abs(a.volts - b) < 1e-9 }

func ms(_ v: Int) -> MonotonicInstant { MonotonicInstant(nanoseconds: Int64(v) * 1_000_000) }
func us(_ v: Int) -> MonotonicInstant { MonotonicInstant(nanoseconds: Int64(v) * 1_000) }
