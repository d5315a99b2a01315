// swift-tools-version: 6.1
// libFuzzer targets for NeuronHIL's input parsers, kept out of the main package so the normal build and test
// never compile with -sanitize=fuzzer. Build and run with Scripts/fuzz.sh (which passes -sanitize=fuzzer and
// -parse-as-library). Each target defines LLVMFuzzerTestOneInput and starts libFuzzer's driver from its entry
// point (SwiftPM renames an executable's `main`, so libFuzzer's own `main` cannot be used).
import PackageDescription

let package = Package(
    name: "NeuronHILFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "NeuronHIL", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-board", dependencies: [.product(name: "NeuronBoard", package: "NeuronHIL")]),
        .executableTarget(name: "fuzz-sweep", dependencies: [.product(name: "NeuronExperiments", package: "NeuronHIL")]),
        .executableTarget(name: "fuzz-jaer", dependencies: [.product(name: "NeuronSinks", package: "NeuronHIL")]),
        .executableTarget(name: "fuzz-records", dependencies: [.product(name: "NeuronControl", package: "NeuronHIL")]),
        .executableTarget(name: "fuzz-network", dependencies: [.product(name: "NeuronNetwork", package: "NeuronHIL")]),
    ]
)
