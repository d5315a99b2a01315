// swift-tools-version: 6.2
// 6.2: the code needs a 6.2 compiler (InlineArray), and SwiftPM 6.2 accepts the unsafe flag below in a package
// that others depend on by URL (6.1 refuses it: "contains unsafe build flags").
// NeuronHIL: a hardware-in-the-loop controller for a halide-perovskite memristive neuron.
// Targets are layered; the dependency graph below is the architecture (see README "Architecture").
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Release builds inline across our own modules (the loop → driver → sim bus → chip model → physics path runs
    // 10 000 times per simulated second).
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "NeuronHIL",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "neuronctl", targets: ["neuronctl"]),
        .library(name: "NeuronHAL", targets: ["NeuronHAL"]),
        .library(name: "NeuronDrivers", targets: ["NeuronDrivers"]),
        .library(name: "NeuronSim", targets: ["NeuronSim"]),
        .library(name: "NeuronBoard", targets: ["NeuronBoard"]),
        .library(name: "NeuronBoardSim", targets: ["NeuronBoardSim"]),
        .library(name: "NeuronBoardLinux", targets: ["NeuronBoardLinux"]),
        .library(name: "NeuronControl", targets: ["NeuronControl"]),
        .library(name: "NeuronNetwork", targets: ["NeuronNetwork"]),
        // For the fuzz package (Fuzz/): the parsers it drives.
        .library(name: "NeuronSinks", targets: ["NeuronSinks"]),
        .library(name: "NeuronExperiments", targets: ["NeuronExperiments"]),
        .library(name: "NeuronSession", targets: ["NeuronSession"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.0"),
        // LogHandler.log(event:) is the handler requirement from this release on.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The live view's HTTP and WebSocket server: no SwiftNIO, so it adds about a minute to a cold build.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // Protocols and currency types only (units, addresses, errors, bus/clock protocols). No Glibc.
        .target(name: "NeuronHAL", swiftSettings: strict),
        // Chip drivers generic over the HAL protocols; pure encoders.
        .target(name: "NeuronDrivers", dependencies: ["NeuronHAL"], swiftSettings: strict),
        // Neuron physics (device, paper and deterministic models) and the seeded RNG; HAL units only, no I/O.
        .target(name: "NeuronPhysics", dependencies: ["NeuronHAL"], swiftSettings: strict),
        // The simulated board: sim buses, chip models answering bus traffic, manual clock, physics wiring.
        .target(name: "NeuronSim", dependencies: ["NeuronHAL", "NeuronPhysics"], swiftSettings: strict),
        // The one strict YAML decoder of board, network and sweep files, with located diagnostics (ConfigError).
        .target(name: "NeuronConfig", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        // Board description files (schema, validation, built-in boards) and the backend-neutral runtime: one
        // per-neuron builder, generic over the HAL buses, makes the drivers for whichever backend brings the board up.
        // Knows no backend.
        .target(name: "NeuronBoard", dependencies: ["NeuronHAL", "NeuronConfig", "NeuronDrivers"], swiftSettings: strict),
        // Bring-up on simulated chips: the sim buses and chip models a board file names, the physics between them.
        .target(
            name: "NeuronBoardSim", dependencies: ["NeuronHAL", "NeuronBoard", "NeuronDrivers", "NeuronSim", "NeuronPhysics"],
            swiftSettings: strict),
        // The engine: one real-time loop for N channels (pulse sources, routes, detection, spike-out lines, trace
        // streams, bus-fault and overrun policies, safe state), the spike forwarder, records and summaries.
        .target(
            name: "NeuronControl",
            dependencies: ["NeuronHAL", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strict),
        // Spike sinks that leave the process: UDP (jAER), JSON lines, streaming CSV. Sockets and write(2).
        .target(name: "NeuronSinks", dependencies: ["NeuronHAL", "NeuronControl"], swiftSettings: strict),
        // C shims for the Linux backends (compiled on Linux only; empty elsewhere): ioctls and libi2c SMBus calls,
        // and one interface over libgpiod 1.6 and 2.x.
        .target(
            name: "CNeuronLinux", dependencies: [.target(name: "CLibI2C", condition: .when(platforms: [.linux]))],
            linkerSettings: [.linkedLibrary("i2c", .when(platforms: [.linux]))]),
        .target(
            name: "CGPIOD", dependencies: [.target(name: "CLibGPIOD", condition: .when(platforms: [.linux]))],
            linkerSettings: [.linkedLibrary("gpiod", .when(platforms: [.linux]))]),
        // The Linux C libraries the shims use, with their Debian packages: when pkg-config cannot find one, SwiftPM
        // names the package to install. bookworm's libi2c-dev ships no pkg-config file (only the header and
        // libi2c.so), so SwiftPM cannot check that one; the shim's #error names it instead.
        .systemLibrary(name: "CLibGPIOD", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(name: "CLibI2C", providers: [.apt(["libi2c-dev"])]),
        // Linux backends: i2c-dev + libi2c, spidev, libgpiod, clock_nanosleep; every syscall through one seam.
        // C shim for the loop thread's real-time setup (SCHED_FIFO, affinity, mlockall, cpu_dma_latency).
        .target(name: "CNeuronRealtime"),
        .target(name: "NeuronLinux", dependencies: ["NeuronHAL", "CNeuronLinux", "CGPIOD", "CNeuronRealtime"], swiftSettings: strict),
        // Bring-up on Linux: a board file's i2c-dev, spidev and libgpiod devices, and probing them.
        .target(name: "NeuronBoardLinux", dependencies: ["NeuronHAL", "NeuronBoard", "NeuronLinux"], swiftSettings: strict),
        // The paper's experiments on a board (Fig. 2c, 4, S8a, sweep files) and population simulations (Fig. 3).
        .target(
            name: "NeuronExperiments",
            dependencies: ["NeuronHAL", "NeuronConfig", "NeuronPhysics", "NeuronControl"],
            swiftSettings: strict),
        // Sensor inputs and closed loops: value streams encoded as pulses, several neurons in one loop, spike routes
        // (on the board and over UDP in jAER's format), recordings and their replay.
        .target(
            name: "NeuronNetwork",
            dependencies: ["NeuronHAL", "NeuronConfig", "NeuronControl", "NeuronSinks"],
            swiftSettings: strict),
        // The live view: a normal-priority publisher that reads the engine's trace and spike streams, decimates them
        // per display column and fans them out to browsers over WebSockets (bounded per viewer), and the page it serves.
        .target(
            name: "NeuronLive",
            dependencies: ["NeuronHAL", "NeuronControl", .product(name: "FlyingFox", package: "FlyingFox")],
            swiftSettings: strict),
        // Plan -> outcome: brings a board up, wires inputs, sinks and trace files to the engine, runs it (real-time
        // where asked), reads the DACs back, writes the summary and the recording. The only target below the CLI
        // that knows both backends (it picks one per board file).
        .target(
            name: "NeuronSession",
            dependencies: ["NeuronHAL", "NeuronControl", "NeuronSinks", "NeuronBoard", "NeuronBoardSim", "NeuronBoardLinux",
                           "NeuronNetwork", "NeuronSim", "NeuronPhysics", "NeuronLinux", "NeuronLive"],
            swiftSettings: strict),
        // Scripted buses and trace assertions for tests only.
        .target(name: "NeuronTestSupport", dependencies: ["NeuronHAL", "NeuronPhysics"], swiftSettings: strict),
        .executableTarget(
            name: "neuronctl",
            dependencies: [
                "NeuronHAL", "NeuronDrivers", "NeuronPhysics", "NeuronSim", "NeuronBoard", "NeuronBoardSim", "NeuronBoardLinux",
                "NeuronControl", "NeuronSinks", "NeuronLinux", "NeuronExperiments", "NeuronNetwork", "NeuronSession", "NeuronLive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The VM test's neuron emulator (Scripts/vm/init.sh): reads the DACs through i2c-dev, answers the ADC through the
        // spi-neuron-loopback module with the physics' capacitor voltage. A tool of the test, never linked into neuronctl.
        .executableTarget(
            name: "neuronhil-vm-neuron", dependencies: ["NeuronHAL", "NeuronLinux", "NeuronPhysics"], swiftSettings: strict),

        // Counts heap allocations per engine tick on the mock board (as run, sense and network build it) and per spike through the forwarder and the UDP
        // sink (both must be 0). Links ordo-one's malloc interposer.
        .executableTarget(
            name: "neuronhil-alloc-bench",
            dependencies: [
                "NeuronHAL", "NeuronBoard", "NeuronControl", "NeuronSinks", "NeuronNetwork", "NeuronSession", "NeuronLive",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Benchmarks/LoopAllocations",
            swiftSettings: strict),

        .testTarget(name: "NeuronHALTests", dependencies: ["NeuronHAL"]),
        .testTarget(name: "NeuronLiveTests", dependencies: ["NeuronLive", "NeuronControl", "NeuronHAL", .product(name: "FlyingFox", package: "FlyingFox")]),
        .testTarget(name: "NeuronDriversTests", dependencies: ["NeuronDrivers", "NeuronTestSupport"]),
        .testTarget(name: "NeuronPhysicsTests", dependencies: ["NeuronPhysics"]),
        .testTarget(name: "NeuronSimTests", dependencies: ["NeuronSim", "NeuronDrivers", "NeuronTestSupport"]),
        .testTarget(name: "NeuronConfigTests", dependencies: ["NeuronConfig"]),
        .testTarget(name: "NeuronBoardTests", dependencies: ["NeuronBoard"], resources: []),
        .testTarget(name: "NeuronBoardSimTests", dependencies: ["NeuronBoard", "NeuronBoardSim", "NeuronSim"]),
        .testTarget(name: "NeuronControlTests", dependencies: ["NeuronControl", "NeuronBoard", "NeuronBoardSim", "NeuronSim", "NeuronTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "NeuronSinksTests",
            dependencies: ["NeuronSinks", "NeuronControl", "NeuronBoard", "NeuronBoardSim", "NeuronSim", "NeuronTestSupport"]),
        .testTarget(name: "NeuronctlTests", dependencies: ["neuronctl", "NeuronSession", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "NeuronLinuxTests", dependencies: ["NeuronLinux", "NeuronDrivers", "NeuronBoard", "NeuronBoardLinux", "NeuronHAL"]),
        .testTarget(
            name: "NeuronNetworkTests",
            dependencies: ["NeuronNetwork", "NeuronConfig", "NeuronControl", "NeuronBoard", "NeuronBoardSim", "NeuronHAL", "NeuronSinks",
                           "NeuronTestSupport", "NeuronSession"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "NeuronSessionTests",
            dependencies: ["NeuronSession", "NeuronControl", "NeuronBoard", "NeuronNetwork", "NeuronHAL", "NeuronSim"]),
        .testTarget(
            name: "NeuronExperimentsTests",
            dependencies: ["NeuronExperiments", "NeuronConfig", "NeuronBoard", "NeuronControl", "NeuronPhysics", "NeuronSession"]),
    ]
)
