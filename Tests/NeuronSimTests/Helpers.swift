import NeuronHAL
import NeuronSim

/// One raw I2C transfer through the HAL primitive: writes `bytes`, then reads `count` bytes after a repeated START.
func i2c(_ bus: some I2CBus, _ address: UInt8, _ bytes: [UInt8], read count: Int = 0) throws -> [UInt8] {
    var reply = [UInt8](repeating: 0, count: count)
    try bytes.withUnsafeBytes { w in
        try reply.withUnsafeMutableBytes { r in
            try bus.transaction(I2CAddress(address), write: w, read: r)
        }
    }
    return reply
}

/// One raw SPI frame through the HAL primitive.
func spi(_ device: some SPIDevice, _ bytes: [UInt8]) throws -> [UInt8] {
    var reply = [UInt8](repeating: 0, count: bytes.count)
    try bytes.withUnsafeBytes { w in
        try reply.withUnsafeMutableBytes { r in
            try device.transaction(write: w, read: r)
        }
    }
    return reply
}

extension MonotonicInstant {
    static func ms(_ v: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: v * 1_000_000) }
    static func us(_ v: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: v * 1_000) }
}
