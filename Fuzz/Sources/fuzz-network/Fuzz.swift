import NeuronNetwork

/// One input, fed to the three sensor/network parsers: a network file, a CSV value stream and a UDP value datagram.
/// Each may refuse it; none may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? NetworkFile.parse(yaml: text, source: "fuzz-network.yaml")
    _ = try? TimedValueFeed.parseCSV(text, source: "fuzz-values.csv")
    _ = try? parseValueDatagram(Array(bytes), sender: "fuzz")
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("fuzz_network_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc, v = argv
    return LLVMFuzzerRunDriver(&c, &v) { d, n in fuzzOne(d, n) }
}
