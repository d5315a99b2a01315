import CGPIOD

/// `cgpiod_edge_event` under a name tests can use without importing the C module.
typealias CGPIODEventForTests = cgpiod_edge_event
extension cgpiod_edge_event {
    init(rising: Int32, timestamp_ns: UInt64, line_seqno: UInt64) {
        self.init()
        self.rising = rising
        self.timestamp_ns = timestamp_ns
        self.line_seqno = line_seqno
    }
}
