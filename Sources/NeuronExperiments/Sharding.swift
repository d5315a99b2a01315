import NeuronControl

/// Part K of N of a job (`--shard K/N`): a contiguous block of its runs or simulations. Seeds come from a run's
/// index in the whole job (never from the shard), so shard K/N runs exactly the seeds the unsharded job runs for
/// those indices, and no two shards share one.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// 1...count.
    public let index: Int
    public let count: Int

    public static let whole = Shard(index: 1, count: 1)
    public init(index: Int, count: Int) {
        precondition(count >= 1 && (1...count).contains(index), "shard \(index)/\(count)")
        self.index = index
        self.count = count
    }

    /// Parses `K/N` (1 ≤ K ≤ N ≤ 100000).
    public init?(_ text: String) {
        let p = text.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 2, let k = Int(p[0]), let n = Int(p[1]), (1...100_000).contains(n), (1...n).contains(k) else { return nil }
        self.init(index: k, count: n)
    }

    /// This shard's indices of `total`: blocks in order, sizes differing by at most one; together they are 0..<total.
    public func range(of total: Int) -> Range<Int> { (index - 1) * total / count ..< index * total / count }

    public var description: String { "\(index)/\(count)" }
    /// The shard's part of a file name: "shard-2-of-4".
    public var fileTag: String { "shard-\(index)-of-\(count)" }
}

/// A CSV file as the experiments write it: `# key: value` lines, a column line, rows.
struct CommentedCSV {
    var metadata: [(String, String)]
    var columns: String
    var rows: [Substring]

    init(_ text: String, source: String) throws(ShardError) {
        metadata = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        if lines.last == "" { lines.removeLast() }
        while let l = lines.first, l.hasPrefix("# ") {
            lines.removeFirst()
            guard let colon = l.firstRange(of: ": ") else { throw ShardError("\(source): header line '\(l)' is not '# key: value'.") }
            metadata.append((String(l[l.index(l.startIndex, offsetBy: 2)..<colon.lowerBound]), String(l[colon.upperBound...])))
        }
        guard let c = lines.popFirst() else { throw ShardError("\(source): no column line after the header.") }
        columns = String(c)
        rows = Array(lines)
    }

    func value(_ key: String) -> String? { metadata.first { $0.0 == key }?.1 }
}

public struct ShardError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Rebuilds the files of an unsharded job from its shards' files (`neuronctl merge`).
public enum ShardMerge {
    /// Keys a shard adds to the header of the file the unsharded job writes.
    static let shardKeys: Set<String> = ["shard", "shard_runs", "shard_seeds", "summary_figure", "shard_simulations", "shard_train"]

    /// The shards' files, checked to be one job's N shards, each once; returned in shard order with their shard.
    static func order(_ files: [(name: String, csv: CommentedCSV)]) throws(ShardError) -> [(Shard, CommentedCSV)] {
        var byIndex: [Int: (Shard, CommentedCSV)] = [:]
        for f in files {
            guard let text = f.csv.value("shard"), let shard = Shard(text) else {
                throw ShardError("\(f.name): no '# shard: K/N' line: not a shard's file. Fix: give the files --shard wrote.")
            }
            if let first = byIndex.values.first?.0, first.count != shard.count {
                throw ShardError("\(f.name): shard \(shard), but another file is of \(first.count) shards. Fix: merge one job's shards.")
            }
            guard byIndex[shard.index] == nil else { throw ShardError("\(f.name): shard \(shard) is given twice.") }
            let common = f.csv.metadata.filter { !shardKeys.contains($0.0) }
            if let other = byIndex.values.first?.1,
               other.metadata.filter({ !shardKeys.contains($0.0) }).elementsEqual(common, by: ==) == false || other.columns != f.csv.columns {
                throw ShardError("\(f.name): its header differs from the other shards' (another job's shard?). Fix: merge one job's shards.")
            }
            byIndex[shard.index] = (shard, f.csv)
        }
        guard let n = byIndex.values.first?.0.count else { throw ShardError("no shard files given.") }
        let missing = (1...n).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw ShardError("shards \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) are missing. Fix: run them and give every shard's file.")
        }
        return (1...n).map { byIndex[$0]! }
    }

    /// Merges shard files (name, text) into the unsharded job's files (name, text).
    public static func merge(_ files: [(name: String, text: String)]) throws(ShardError) -> [(name: String, text: String)] {
        var parsed: [(name: String, csv: CommentedCSV)] = []
        for f in files { parsed.append((f.name, try CommentedCSV(f.text, source: f.name))) }
        let shards = try order(parsed)
        if shards[0].1.value("experiment") == "population" { return try PopulationStudy.mergeShards(shards) }
        return try BoardExperiments.mergeTuning(shards.map(\.1))
    }
}
