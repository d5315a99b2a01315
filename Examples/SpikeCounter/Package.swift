// swift-tools-version: 6.2
// An example of NeuronHIL as a dependency: a pulse train on the simulated board, spikes printed. Another package
// would name NeuronHIL by its repository URL and a version (`.package(url:from:)`) where this one names the checkout.
import PackageDescription

let package = Package(
    name: "SpikeCounter",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "NeuronHIL", path: "../..")],
    targets: [
        .executableTarget(
            name: "SpikeCounter",
            dependencies: [
                .product(name: "NeuronSession", package: "NeuronHIL"),
                .product(name: "NeuronControl", package: "NeuronHIL"),
                .product(name: "NeuronBoard", package: "NeuronHIL"),
            ])
    ]
)
