public import NeuronControl

/// A sensor value stream through an encoder: one pulse per period of the current value's pulse.
public final class EncodedPulses: PulseSource {
    public let encoder: StimulusEncoder
    public let feed: any ValueFeed
    /// How often to look again while no value has arrived yet.
    public let poll: Int64
    public private(set) var nextStart: Int64 = 0
    public init(encoder: StimulusEncoder, feed: any ValueFeed, poll: Duration = .milliseconds(1)) {
        self.encoder = encoder
        self.feed = feed
        self.poll = poll.nanosecondsValue
    }
    public func fire(at time: Int64) -> PulseShape? {
        if feed.finished(at: time) {
            nextStart = .max
            return nil
        }
        guard let v = feed.value(at: time) else {
            nextStart = time + poll
            return nil
        }
        let p = encoder.pulse(for: v)
        nextStart = time + p.period.nanosecondsValue
        return p
    }
    /// One pulse per period at most; the mapping is monotonic, so the shortest period is at an end of the range.
    public func maximumPulses(within duration: Int64) -> Int? {
        let r = encoder.configuration.input
        let shortest = min(encoder.pulse(for: r.lowerBound).period, encoder.pulse(for: r.upperBound).period).nanosecondsValue
        return shortest > 0 ? Int(duration / shortest) + 1 : nil
    }
}
