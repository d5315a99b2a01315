public import NeuronHAL

/// What drives one analogue input pin of an ADC model: a constant, a neuron's capacitor node, or any function of
/// the sampling instant.
///
/// Why not just a closure: the membrane is sampled 10 000 times per simulated second, and calling a closure costs an
/// indirect call, a retain and a release of its context each time. A neuron is held unretained and called directly
/// (the model and the channel are in this module, so the call inlines); whoever wires the board keeps the channel
/// alive as long as the chip, as `SimulatedBoard` does. Closures remain for everything else (tests, sensors).
public struct SimAnalogSource {
    enum Kind {
        case constant(Voltage)
        case neuron(Unmanaged<SimNeuronChannel>)
        case function((MonotonicInstant) -> Voltage)
    }
    let kind: Kind

    /// A pin held at `voltage`.
    public static func constant(_ voltage: Voltage) -> SimAnalogSource { SimAnalogSource(kind: .constant(voltage)) }

    /// A pin driven by `source`, called with the instant each conversion samples.
    public static func function(_ source: @escaping (MonotonicInstant) -> Voltage) -> SimAnalogSource {
        SimAnalogSource(kind: .function(source))
    }

    /// The ADC pin of `channel`'s front end (capacitor × gain + noise), held unretained (see the type's comment).
    static func neuron(_ channel: SimNeuronChannel) -> SimAnalogSource {
        SimAnalogSource(kind: .neuron(.passUnretained(channel)))
    }

    /// The pin voltage at `instant`.
    @inline(__always)
    func voltage(at instant: MonotonicInstant) -> Voltage {
        switch kind {
        case .constant(let v): return v
        case .neuron(let n): return n._withUnsafeGuaranteedRef { $0.adcPinVoltage(at: instant) }
        case .function(let f): return Self.call(f, instant)
        }
    }

    /// The closure call and its reference counting, kept out of the frame of every sample.
    @inline(never)
    static func call(_ f: (MonotonicInstant) -> Voltage, _ instant: MonotonicInstant) -> Voltage { f(instant) }
}

/// A fixed number of pin sources in one allocation, read through a pointer: no copy-on-write or exclusivity check
/// on the sample path.
final class SimAnalogPins {
    private let pins: UnsafeMutablePointer<SimAnalogSource>
    let count: Int

    init(count: Int) {
        self.count = count
        pins = .allocate(capacity: count)
        pins.initialize(repeating: .constant(.zero), count: count)
    }

    deinit {
        pins.deinitialize(count: count)
        pins.deallocate()
    }

    /// Callers check `pin` against the chip's pin count (a precondition in each model's public setter).
    subscript(pin: Int) -> SimAnalogSource {
        get { pins[pin] }
        set { pins[pin] = newValue }
    }

    @inline(__always)
    func voltage(_ pin: Int, at instant: MonotonicInstant) -> Double {
        pins[pin].voltage(at: instant).volts
    }
}
