import Foundation
import Testing
import NeuronControl
import NeuronSinks

@Suite("NPY trace files")
struct NPYTraceTests {
    // numpy 2.4's np.save header for this record array of 3 rows, restated rather than taken from the encoder:
    // 10 bytes of magic, version and length 0xB6, the dictionary, spaces, a newline; 192 bytes in all.
    static let numpyDictionary = "{'descr': [('time_us', '<u4'), ('membrane_v', '<f4'), ('stimulus_100uv', '<i2')], 'fortran_order': False, 'shape': (3,), }"

    static func parse(_ bytes: [UInt8]) -> (dictionary: String, dataOffset: Int) {
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        let text = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
        return (text.trimmingCharacters(in: .whitespacesAndNewlines), 10 + length)
    }

    @Test("The header is numpy's own for the same array: magic, version 1.0, length, dictionary, spaces, newline")
    func headerBytes() {
        let h = NPYTraceRow.header(rows: 3)
        #expect(h.count == 192)
        #expect(Array(h.prefix(10)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0xB6, 0x00])
        let text = String(decoding: h.dropFirst(10), as: UTF8.self)
        #expect(text.hasPrefix(Self.numpyDictionary))
        #expect(text.hasSuffix("\n"))
        #expect(text.dropFirst(Self.numpyDictionary.count).dropLast().allSatisfy { $0 == " " })
    }

    @Test("The header's length does not depend on the row count (up to 21 digits), and the data starts 64-aligned",
          arguments: [0, 9, 10, 30_000_000, Int.max])
    func fixedLength(rows: Int) {
        let h = NPYTraceRow.header(rows: rows)
        #expect(h.count == 192)
        #expect(h.count % 64 == 0)
        #expect(Self.parse(h).dictionary.hasSuffix("'shape': (\(rows),), }"))
    }

    @Test("A header that would end on the alignment gets a whole alignment of spaces, as numpy pads it")
    func paddingAtBoundary() {
        // With a 32-character name, magic + length + dictionary + 20 spare digits + newline is exactly 128 bytes;
        // numpy then adds 64 spaces (7 more sit inside the dictionary, 20 are the spare digits).
        let h = NPY.header(fields: [NPY.Field(String(repeating: "a", count: 32), "|u1", size: 1)], rows: 0)
        #expect(h.count == 192)
        #expect(Array(h[8...9]) == [0xB6, 0x00])
        #expect(h.filter { $0 == 0x20 }.count == 91)
    }

    @Test("A row is 10 bytes, little-endian: time in µs (truncated, wrapping at 2^32), membrane float32, stimulus in 0.1 mV")
    func rowBytes() {
        func bytes(_ s: TraceSample) -> [UInt8] {
            var b = [UInt8](repeating: 0xEE, count: 11)
            b.withUnsafeMutableBytes { NPYTraceRow.encode(s, to: $0.baseAddress! + 1) }
            #expect(b[0] == 0xEE)
            return Array(b.dropFirst())
        }
        #expect(NPYTraceRow.size == 10)
        let s = TraceSample(time: 0x0A0B_0C0D * 1000 + 999, stimulus: 0.75, membrane: 0.5, pulse: 7)
        #expect(bytes(s) == [0x0D, 0x0C, 0x0B, 0x0A, 0x00, 0x00, 0x00, 0x3F, 0x4C, 0x1D])
        let negative = TraceSample(time: (Int64(1) << 32) * 1000 + 1000, stimulus: -0.0001, membrane: -2, pulse: -1)
        #expect(bytes(negative) == [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0xFF])
        // The CSV's 4 decimals of a volt, exactly; beyond the int16 range it saturates instead of trapping.
        #expect(NPYTraceRow.stimulusCode(0.8123) == 8123)
        #expect(NPYTraceRow.stimulusCode(5) == Int16.max)
        #expect(NPYTraceRow.stimulusCode(-5) == Int16.min)
    }

    static func samples(_ range: Range<Int>) -> [TraceSample] {
        range.map { TraceSample(time: Int64($0) * 100_000, stimulus: $0 % 50 < 5 ? 0.75 : 0, membrane: Float($0) * 1e-4, pulse: Int32($0 / 50)) }
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> [(UInt32, Float, Int16)] {
        stride(from: bytes.startIndex, to: bytes.endIndex - NPYTraceRow.size + 1, by: NPYTraceRow.size).map { i in
            func u(_ k: Int, _ n: Int) -> UInt32 { (0..<n).reduce(0) { $0 | UInt32(bytes[i + k + $1]) << (8 * $1) } }
            return (u(0, 4), Float(bitPattern: u(4, 4)), Int16(truncatingIfNeeded: u(8, 2)))
        }
    }

    @Test("The streamed file: header rewritten with each batch's row count, every row whole, the closed file's shape right")
    func streamedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-npy-\(getpid()).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stream = TraceStream(capacity: 1024, waitsWhenFull: true)
        let writer = try TraceFileWriter(path: path, format: .npy, metadata: [("seed", "1")], stream: stream, flushInterval: .milliseconds(5))
        #expect([UInt8](FileManager.default.contents(atPath: path) ?? Data()) == NPYTraceRow.header(rows: 0))
        writer.start()
        for s in Self.samples(0..<300) { stream.push(s) }
        // Before the writer is finished, as after a kill -9: the header counts the rows on disk.
        var bytes: [UInt8] = []
        for _ in 0..<400 {
            bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
            if bytes.count == 192 + 300 * 10, Self.parse(bytes).dictionary.contains("(300,)") { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(Self.parse(bytes).dictionary.hasSuffix("'shape': (300,), }"))
        for s in Self.samples(300..<1000) { stream.push(s) }
        let done = writer.finish()
        #expect(done.rows == 1000 && done.error == nil)
        bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        #expect(bytes.count == 192 + 1000 * 10)
        #expect(Array(bytes.prefix(192)) == NPYTraceRow.header(rows: 1000))
        let rows = Self.decode(bytes[192...])
        #expect(rows.count == 1000)
        for (r, s) in zip(rows, Self.samples(0..<1000)) {
            #expect(r.0 == UInt32(s.time / 1000) && r.1 == s.membrane && r.2 == (s.stimulus == 0 ? 0 : 7500))
        }
    }

    @Test("A file cut mid-row (a crash mid-write): every whole row before the cut reads back from the header's end")
    func truncatedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("neuronhil-npy-cut-\(getpid()).npy").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let stream = TraceStream(capacity: 256, waitsWhenFull: true)
        let writer = try TraceFileWriter(path: path, format: .npy, metadata: [], stream: stream)
        writer.start()
        for s in Self.samples(0..<500) { stream.push(s) }
        _ = writer.finish()
        let whole = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let cut = Array(whole.prefix(192 + 321 * 10 + 7))
        let offset = Self.parse(cut).dataOffset
        #expect(offset == 192)
        let rows = Self.decode(cut[offset...])
        #expect(rows.count == 321)
        #expect(rows.map(\.0) == Self.samples(0..<321).map { UInt32($0.time / 1000) })
    }
}
