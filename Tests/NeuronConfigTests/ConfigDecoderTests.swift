import NeuronConfig
import Testing

/// A small schema in the style of the board, network and sweep files.
private struct Probe: Decodable {
    var name: String
    var count: Int
    var gain: Double
    var enabled: Bool
    var tags: [String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.keys(allowed: ["name", "count", "gain", "enabled", "tags", "nested"])
        name = try c.required("name", example: "name: probe")
        count = try c.integer("count", in: 0...100, example: "3", default: 1)
        gain = try c.number("gain", in: 0...10, unit: "V", example: "1.5", default: 1)
        enabled = try c.optional("enabled") ?? false
        tags = try c.optional("tags") ?? []
        _ = try c.optional("nested", as: Loose.self)
    }
}

/// Reads one key with a plain container and declares nothing: the decoder itself must refuse the others.
private struct Loose: Decodable {
    var a: Int?
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: ConfigKey.self)
        a = try c.optional("a")
    }
}

private let decoder = ConfigDecoder(kind: "probe", example: "probe.yaml")

private func refusal(_ yaml: String, decoder: ConfigDecoder = decoder) -> ConfigError? {
    do {
        _ = try decoder.decode(Probe.self, from: yaml, source: "p.yaml")
        return nil
    } catch {
        return error
    }
}

@Suite("ConfigDecoder")
struct ConfigDecoderTests {
    @Test func decodesAValidFile() throws {
        let p = try decoder.decode(
            Probe.self, from: "name: x\ncount: 0x10\ngain: 2.5\nenabled: true\ntags: [a, b]\nnested: { a: 1 }\n", source: "p.yaml")
        #expect(p.name == "x" && p.count == 16 && p.gain == 2.5 && p.enabled && p.tags == ["a", "b"])
    }

    /// Every refusal reads `file:line:col: key.path: problem Fix: ...`, pointing at the offending key or value.
    @Test(arguments: [
        // Duplicate keys, at the second one (checked before any schema runs, even in mappings it never opens).
        ("name: x\ncount: 1\ncount: 2\n", "p.yaml:3:1: count: the key 'count' appears twice. Fix: keep one 'count' entry"),
        ("name: x\nnested: { b: 1, b: 2 }\n", "p.yaml:2:17: nested.b: the key 'b' appears twice."),
        // Unknown keys: declared by the schema (with a suggestion), or caught by the decoder when it only read some.
        ("name: x\ncuont: 1\n", "p.yaml:2:1: cuont: unknown key 'cuont'. Fix: did you mean 'count'?"),
        ("name: x\nnested:\n  a: 1\n  colour: 2\n", "p.yaml:4:3: nested.colour: unknown key 'colour'. Fix: remove it; keys read here: a"),
        // Scalars: no YAML 1.1 booleans, no fractions or octal look-alikes for whole numbers, no quoted numbers.
        ("name: x\nenabled: yes\n", "p.yaml:2:10: enabled: expected true or false, found 'yes'. Fix: write true or false"),
        ("name: x\ncount: 1.5\n", "p.yaml:2:8: count: expected a whole number, found '1.5'."),
        ("name: x\ncount: 010\n", "p.yaml:2:8: count: 010 has a leading zero, which YAML may read as octal."),
        ("name: x\ncount: 1:30\n", "p.yaml:2:8: count: expected a whole number, found '1:30'."),
        ("name: x\ngain: \"1.5\"\n", "p.yaml:2:7: gain: expected a number, found the quoted string \"1.5\". Fix: remove the quotes"),
        ("name: x\ngain: .inf\n", "p.yaml:2:7: gain: expected a number, found '.inf'."),
        // Ranges.
        ("name: x\ncount: 101\n", "p.yaml:2:8: count: 101 is outside the accepted 0...100. Fix: use a whole number between 0 and 100"),
        ("name: x\ngain: 11\n", "p.yaml:2:7: gain: 11 V is outside the accepted 0...10 V."),
        // Shapes and missing keys.
        ("name: x\ntags: a\n", "p.yaml:2:7: tags: expected a list, found 'a'."),
        ("count: 1\n", "p.yaml:1:1: name: the required key 'name' is missing. Fix: add `name: probe`"),
        ("[a]: 1\n", "p.yaml:1:1: a key is a list, not a plain name."),
        ("", "p.yaml:1:1: the file is empty. Fix: describe the probe, starting from probe.yaml"),
        ("name: [x\n", "p.yaml:2:1: malformed YAML"),
    ])
    func refusalsAreLocated(yaml: String, expected: String) throws {
        let error = try #require(refusal(yaml), "accepted: \(yaml)")
        #expect(error.description.hasPrefix(expected), "\(error.description)")
        #expect(error.description.contains(" Fix: "))
        #expect(error.line != nil && error.column != nil)
    }

    @Test func nestingIsBounded() throws {
        // Flow brackets: counted on the text, before Yams (which recurses once per level) sees them.
        let flow = try #require(refusal("name: x\ntags: " + String(repeating: "[", count: 5000)))
        #expect(flow.description.hasPrefix("p.yaml:2:39: the YAML is brackets nested more than 32 deep; no probe file nests like this."),
                "\(flow)")
        // Block mappings within the text guard's indentation bound, refused on the composed tree at the 33rd level.
        var block = "name: x\n"
        for level in 0..<40 { block += String(repeating: "  ", count: level) + "nested:\n" }
        let deep = try #require(refusal(block))
        // The 32nd `nested` key, on line 33 at column 63, holds the 33rd level.
        #expect(deep.line == 33 && deep.column == 63, "\(deep)")
        #expect(deep.keyPath == Array(repeating: "nested", count: 32).joined(separator: "."))
        #expect(deep.problem == "this nests 33 levels deep, more than the 32 a probe file may use.", "\(deep)")
    }

    @Test func sizeAndAliasExpansionAreBounded() throws {
        let small = ConfigDecoder(kind: "probe", example: "probe.yaml", maxBytes: 64)
        let large = try #require(refusal("name: " + String(repeating: "x", count: 100), decoder: small))
        #expect(large.description == "p.yaml: the file is 106 bytes, more than the 64 a probe file may have. "
            + "Fix: check that this is a probe file (probe.yaml is one)")
        // A "billion laughs" document: nine levels of ten aliases each.
        var laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<9 { laughs += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let expanded = try #require(refusal(laughs))
        #expect(expanded.problem.contains("more than 100000 values"), "\(expanded)")
        #expect(expanded.line != nil)
    }

    @Test func laterProblemsAreLocatedAndCollectedInFileOrder() throws {
        let document = try decoder.parse("name: x\ncount: 3\ntags: [a, b]\n", source: "p.yaml")
        let late = document.error(at: ["tags", .index(1)], "'b' is not a known tag.", fix: "use a")
        #expect(late.description == "p.yaml:3:11: tags[1]: 'b' is not a known tag. Fix: use a")
        let both = try #require(ConfigError.collected([late, document.error(at: ["count"], "too many.", fix: "use 1")]))
        #expect(both.all.map(\.keyPath) == ["count", "tags[1]"])
        #expect(document.location(of: ["name"], onKey: true) == ConfigLocation(line: 1, column: 1))
    }
}
