/// A voltage output channel (a DAC channel after its reference and front end are applied).
///
/// Drivers conform their channels to this so the control loop needs no chip knowledge. The control layer never
/// hands one of these to user code directly: it wraps it in a limit-checking stimulus output, so the board's
/// limits hold on every path.
///
/// ## For driver authors
/// `range` is what the chip can produce with its reference; `setVoltage` throws `.outOfRange` outside it rather
/// than clamping silently, and writes the nearest code inside it.
public protocol AnalogOutput {
    var range: ClosedRange<Voltage> { get }
    func setVoltage(_ voltage: Voltage) throws(HardwareError)
    /// Drives the output to its safest state: 0 V, and powered down where the chip can (MCP4725 power-down with
    /// the output pulled to ground). Used on every exit path.
    func enterSafeState() throws(HardwareError)
}

/// A voltage input channel (an ADC channel with its scale applied: value = raw · scale, IIO style).
public protocol AnalogInput {
    /// Starts a conversion if needed, waits for it (on the injected clock) and returns the result in volts.
    func readVoltage() throws(HardwareError) -> Voltage
}

/// An analogue input behind a class: for an input read on every tick, which the loop then reaches through one
/// virtual call on a reference it holds unretained, with no existential to open or copy per sample.
///
/// ## For backend authors
/// Subclass it with a final class whose `readVoltage` has the whole read path (front end, driver, bus transfer)
/// compiled for the concrete bus, and return that from the board's membrane hook; the loop puts any other input
/// behind a generic subclass of its own.
open class AnalogInputBox: AnalogInput {
    public init() {}
    open func readVoltage() throws(HardwareError) -> Voltage { preconditionFailure("AnalogInputBox is abstract") }
}
