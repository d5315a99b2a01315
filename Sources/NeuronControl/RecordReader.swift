/// Reads back the CSV records `RunRecords` writes (trace, spike record, experiment tables): `# key: value`
/// metadata, one header line, rows of plain numbers. For files cut short by `kill -9` or a power cut, `read`
/// stops at the last complete line (one without its newline is reported in `truncatedTail`, not parsed).
/// Every malformed line is refused with the source, the line number and the fix; nothing traps.
public struct RecordFile: Sendable, Hashable {
    public var metadata: [String: String]
    public var header: [String]
    public var rows: [[Double]]
    /// Bytes after the last newline (a row being written when the writer died), not parsed.
    public var truncatedTail: Int

    public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
        public var source: String
        public var line: Int
        public var problem: String
        public var fix: String
        public var description: String { "\(source):\(line): \(problem) Fix: \(fix)" }
    }

    /// Parses `text`; `source` names the file in errors. Rows must have as many fields as the header and every
    /// field must be a finite number; at most `maxRows` rows (guards memory against a huge input).
    public static func read(_ text: String, source: String, maxRows: Int = 100_000_000) throws(ReadError) -> RecordFile {
        var file = RecordFile(metadata: [:], header: [], rows: [], truncatedTail: 0)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let tail = lines.removeLast()  // "" when the text ends with a newline
        file.truncatedTail = tail.utf8.count
        var n = 0
        for raw in lines {
            n += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if file.header.isEmpty {
                if line.hasPrefix("#") {
                    guard line.hasPrefix("# "), let colon = line.firstIndex(of: ":") else {
                        throw ReadError(source: source, line: n, problem: "metadata line '\(line.prefix(60))' is not '# key: value'.",
                                        fix: "write metadata as '# key: value' before the header")
                    }
                    let key = String(line[line.index(line.startIndex, offsetBy: 2)..<colon])
                    file.metadata[key] = String(line[line.index(after: colon)...].drop { $0 == " " })
                    continue
                }
                let names = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
                    throw ReadError(source: source, line: n, problem: "header '\(line.prefix(60))' is not comma-separated column names.",
                                    fix: "the first line after the metadata names the columns, e.g. time_s,stimulus_v,membrane_v,pulse")
                }
                file.header = names
                continue
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == file.header.count else {
                throw ReadError(source: source, line: n, problem: "\(fields.count) fields, the header has \(file.header.count).",
                                fix: "every row needs one value per column")
            }
            guard file.rows.count < maxRows else {
                throw ReadError(source: source, line: n, problem: "more than \(maxRows) rows.", fix: "split the file")
            }
            var row: [Double] = []
            row.reserveCapacity(fields.count)
            for (k, f) in fields.enumerated() {
                guard f.utf8.count <= 40, let v = Double(f), v.isFinite else {
                    throw ReadError(source: source, line: n, problem: "column \(file.header[k]): '\(f.prefix(40))' is not a finite number.",
                                    fix: "write plain decimal numbers")
                }
                row.append(v)
            }
            file.rows.append(row)
        }
        guard !file.header.isEmpty else {
            throw ReadError(source: source, line: n, problem: "no header line.", fix: "the file is empty or holds only metadata")
        }
        return file
    }
}
