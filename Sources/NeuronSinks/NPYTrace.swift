public import NeuronControl

/// numpy's NPY format, version 1.0, for a one-dimensional array of records (numpy's `lib/format.py` is the spec):
///
/// ```
///  \x93NUMPY  01 00  HLEN (uint16, little-endian)      magic, version 1.0, length of what follows up to the data
///  {'descr': [('name', '<u4'), ...], 'fortran_order': False, 'shape': (ROWS,), }
///  spaces ... \n                                         the whole header padded to a multiple of 64 bytes
///  then ROWS records, packed, little-endian
/// ```
///
/// The header is the one numpy's own `np.save` writes for the same array, byte for byte: after the dictionary it
/// keeps room for a 21-digit row count (numpy's `GROWTH_AXIS_MAX_DIGITS`), so its length does not depend on
/// `ROWS` and a streaming writer rewrites it in place as rows are appended.
public enum NPY {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00]
    /// numpy aligns the data to this many bytes (`ARRAY_ALIGN`).
    public static let alignment = 64
    /// Digits kept for the row count (numpy's `GROWTH_AXIS_MAX_DIGITS`).
    static let rowDigits = 21

    /// One column of a record: its name and numpy type string (`<u4`: little-endian uint32) and size in bytes.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var type: String
        public var size: Int
        public init(_ name: String, _ type: String, size: Int) {
            self.name = name
            self.type = type
            self.size = size
        }
    }

    /// The header of an array of `rows` records with these fields; its length does not depend on `rows`
    /// (up to 21 digits).
    public static func header(fields: [Field], rows: Int) -> [UInt8] {
        precondition(rows >= 0 && String(rows).count <= rowDigits, "an NPY row count is 0 to 21 digits")
        let descr = fields.map { "('\($0.name)', '\($0.type)')" }.joined(separator: ", ")
        let count = String(rows)
        var text = "{'descr': [\(descr)], 'fortran_order': False, 'shape': (\(count),), }"
        text += String(repeating: " ", count: rowDigits - count.count)
        // numpy's _wrap_header: pad so that magic + length + text + newline ends on the alignment (a full
        // alignment's worth of spaces when it already would).
        let unpadded = magic.count + 2 + text.utf8.count + 1
        let padding = alignment - unpadded % alignment
        text += String(repeating: " ", count: padding) + "\n"
        let length = text.utf8.count
        precondition(length <= Int(UInt16.max), "an NPY 1.0 header holds at most 65535 bytes")
        return magic + [UInt8(length & 0xFF), UInt8(length >> 8)] + Array(text.utf8)
    }
}

/// One row of the binary trace (`--trace-format npy`), 10 bytes, little-endian:
///
/// ```
///  offset 0  time_us         <u4  sample time in µs from the run's start, truncated as the AEDAT timestamps are;
///                                 wraps after 2^32 µs (71.6 min)
///  offset 4  membrane_v      <f4  capacitor voltage read, the Float the CSV prints (NaN: this channel's read
///                                 failed while another channel's succeeded)
///  offset 8  stimulus_100uv  <i2  stimulus commanded, in 0.1 mV: the CSV's 4 decimals of a volt, exactly
/// ```
///
/// The CSV's `pulse` column is not stored: the pulse index counts the rows where the stimulus rises from 0
/// (docs/formats.md says when that differs). Why these types: docs/formats.md.
public enum NPYTraceRow {
    public static let fields = [
        NPY.Field("time_us", "<u4", size: 4),
        NPY.Field("membrane_v", "<f4", size: 4),
        NPY.Field("stimulus_100uv", "<i2", size: 2),
    ]
    public static let size = 10
    /// Stimulus volts per unit of `stimulus_100uv`.
    public static let stimulusScale = 1e-4
    /// The largest stimulus magnitude the column holds, volts.
    public static let stimulusLimit = Double(Int16.max) * stimulusScale

    /// The sample time in µs, truncated (as `AEDAT2.event` truncates a crossing), wrapping past 2^32 µs.
    @inline(__always)
    public static func timeMicros(_ nanoseconds: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: nanoseconds / 1000)
    }

    /// The stimulus in 0.1 mV, rounded to nearest; saturates beyond ±3.2767 V (the session refuses boards whose
    /// limits reach that far, so a run never gets there).
    @inline(__always)
    public static func stimulusCode(_ volts: Float) -> Int16 {
        let x = (Double(volts) / stimulusScale).rounded()
        return x.isNaN ? 0 : Int16(max(Double(Int16.min), min(Double(Int16.max), x)))
    }

    /// Writes `sample`'s 10 bytes at `p` (no alignment needed).
    @inline(__always)
    public static func encode(_ sample: TraceSample, to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: timeMicros(sample.time).littleEndian, as: UInt32.self)
        p.storeBytes(of: sample.membrane.bitPattern.littleEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: stimulusCode(sample.stimulus).littleEndian, toByteOffset: 8, as: Int16.self)
    }

    /// The header of a trace file holding `rows` rows.
    public static func header(rows: Int) -> [UInt8] { NPY.header(fields: fields, rows: rows) }
}

/// The trace file's format (`--trace-format`).
public enum TraceFormat: String, Sendable, CaseIterable {
    /// Text, one row per sample with the metadata as `#` lines: `time_s,stimulus_v,membrane_v,pulse` (~31-35 bytes a row).
    case csv
    /// numpy's NPY: `NPYTraceRow`, 10 bytes a row, for long runs.
    case npy

    public var fileExtension: String { rawValue }
}
