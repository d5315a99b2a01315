// Every command's --help, rendered in process: the argument parser wraps a discussion only within the lines of its
// source string and keeps each line break, so a paragraph written over several source lines without `\` line
// continuations breaks mid-sentence at any terminal width. Paragraphs are separated by blank lines; examples and
// lists are indented (or start with "- ") and keep their lines.

import ArgumentParser
@testable import neuronctl
import Testing

@Suite struct HelpTextTests {
    /// Every command below the root, the root included, with its path ("neuronctl experiment fig4").
    static let commands: [(path: String, type: any ParsableCommand.Type)] = {
        var all: [(String, any ParsableCommand.Type)] = []
        func visit(_ type: any ParsableCommand.Type, _ path: String) {
            all.append((path, type))
            for sub in type.configuration.subcommands {
                visit(sub, path + " " + (sub.configuration.commandName ?? Self.defaultName(sub)))
            }
        }
        visit(Neuronctl.self, "neuronctl")
        return all
    }()

    /// The argument parser's default command name: the type's name in kebab case (`TimeToSpike` → `time-to-spike`).
    static func defaultName(_ type: any ParsableCommand.Type) -> String {
        var name = ""
        for c in String(describing: type) {
            if c.isUppercase, !name.isEmpty { name.append("-") }
            name += c.lowercased()
        }
        return name
    }

    /// The OVERVIEW block of a help text: the abstract, then the discussion.
    func overview(_ help: String) -> [Substring] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("OVERVIEW: ") }) else { return [] }
        let end = lines[start...].firstIndex { $0.hasPrefix("USAGE: ") } ?? lines.endIndex
        return Array(lines[start..<end])
    }

    func isProse(_ line: Substring) -> Bool {
        !line.isEmpty && line.first != " " && !line.hasPrefix("- ")
    }

    @Test func everyCommandIsFound() {
        let paths = Self.commands.map(\.path)
        for expected in ["neuronctl run", "neuronctl board validate", "neuronctl experiment sweep", "neuronctl simulate population",
                         "neuronctl supervise", "neuronctl replay"] {
            #expect(paths.contains(expected), "\(paths)")
        }
    }

    /// At a width where nothing wraps, each line of the overview is a line break of the source: two prose lines in
    /// a row are one paragraph broken in the middle.
    @Test func discussionParagraphsAreNotBrokenMidSentence() {
        for (path, type) in Self.commands {
            let block = overview(Neuronctl.helpMessage(for: type, columns: 10_000))
            #expect(!block.isEmpty, "\(path): no OVERVIEW")
            for (a, b) in zip(block, block.dropFirst()) where isProse(a) && isProse(b) {
                Issue.record("""
                    \(path) --help breaks a paragraph after "\(a.suffix(40))" (next: "\(b.prefix(40))"): end the \
                    source line with \\ to join it, or leave a blank line between paragraphs
                    """)
            }
        }
    }

    /// At 80 columns every line fits, and the indented example lines stay whole lines.
    @Test func helpAtEightyColumnsKeepsExamplesWhole() {
        for (path, type) in Self.commands {
            let help = Neuronctl.helpMessage(for: type, columns: 80)
            let wide = overview(Neuronctl.helpMessage(for: type, columns: 10_000))
            let narrow = overview(help)
            for line in wide where line.hasPrefix("  ") && line.count < 80 {  // the parser wraps a line of 80
                #expect(narrow.contains(line), "\(path): the example line '\(line)' was rewrapped at 80 columns")
            }
            for line in narrow where !line.hasPrefix("  ") {
                #expect(line.count <= 80, "\(path): '\(line)' is wider than 80 columns")
            }
        }
    }
}
