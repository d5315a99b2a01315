// The representation error of a population code (paper, Fig. 3d).
//
// The paper's supplementary note that defines the error is not available, so the definition here is ours:
//
// A population represents the input (the number of pulses n received so far) by its code c(n), the cumulative
// spikes of its N neurons. A reader decodes the input linearly, n̂ = c(n) / (N·r), with r the population's mean spikes
// per neuron per pulse, calibrated over the whole train and all simulations (for the paper model r ≈ 1 − e^(−w/τ),
// 0.52 at 5 ms; for the deterministic neuron exactly 1/2, since it fires on every second pulse). The error of one
// simulation is a summary over pulses n = 1...P of the decoding error n̂ − n, in pulses:
//
// - `mae` (default): mean |n̂ − n|. The deterministic population fires on even pulses only, so it is exactly right
//   after even pulses and one pulse off after odd ones, whatever N: 0.5 pulses. The stochastic one is unbiased and
//   its error shrinks like 1/√N. Measured in the input's own unit, both populations are compared on what a reader
//   would get wrong, which is what "representation" means in the main text.
// - `rmse`: root mean square of n̂ − n (penalises the deterministic neuron's one-pulse steps more: 0.71 pulses).
// - `relative`: mean |n̂ − n| / n (weights the first pulses most, where an odd pulse count is a 100 % error).
//
// Fig. 3d plots the mean over simulations with a one-SD band (over simulations). The crossover is the smallest
// size from which the stochastic population's mean error stays below the deterministic one's.

/// How the decoding errors over the pulses of one simulation are summarised.
public enum RepresentationErrorMeasure: String, Sendable, CaseIterable {
    case mae, rmse, relative

    /// One line for help texts and file headers.
    public var explanation: String {
        switch self {
        case .mae: "mean over pulses n of |n_decoded - n|, in pulses"
        case .rmse: "root mean square over pulses n of (n_decoded - n), in pulses"
        case .relative: "mean over pulses n of |n_decoded - n| / n"
        }
    }
}

/// The representation error against population size.
public struct ErrorCurve: Sendable, Hashable {
    /// Population sizes 1...N.
    public var sizes: [Int]
    /// Mean over simulations of the per-simulation error, per size.
    public var mean: [Double]
    /// Standard deviation over simulations, per size.
    public var sd: [Double]
    /// The decoder's calibration r (spikes per neuron per pulse), per size.
    public var gain: [Double]
}

public enum PopulationAnalysis {
    /// Mean and standard deviation over simulations of the population code after each pulse, for the first `size`
    /// neurons.
    public static func codeStatistics(_ run: PopulationRun, size: Int) -> (mean: [Double], sd: [Double]) {
        var sum = [Double](repeating: 0, count: run.pulses)
        var sumSquares = [Double](repeating: 0, count: run.pulses)
        for s in 0..<run.simulations {
            let c = run.code(simulation: s, size: size)
            for k in 0..<run.pulses {
                let x = Double(c[k])
                sum[k] += x
                sumSquares[k] += x * x
            }
        }
        let n = Double(run.simulations)
        let mean = sum.map { $0 / n }
        // Sample variance (n − 1), so tests compare it with the binomial variance without bias.
        let sd = zip(sum, sumSquares).map { s, q in
            run.simulations > 1 ? (max(0, (q - s * s / n) / (n - 1))).squareRoot() : 0
        }
        return (mean, sd)
    }

    /// The error curve for sizes 1...`maxSize` (at most the run's neurons), using the first N neurons of every
    /// simulation as the population of size N.
    public static func errorCurve(_ run: PopulationRun, measure: RepresentationErrorMeasure, maxSize: Int? = nil) -> ErrorCurve {
        let sizes = min(maxSize ?? run.neurons, run.neurons)
        let p = run.pulses
        let sims = run.simulations
        // Calibration: total spikes of the first N neurons over all simulations / (S·N·P).
        var neuronTotals = [Int](repeating: 0, count: run.neurons)
        run.fired.withUnsafeBufferPointer { f in
            for s in 0..<sims {
                for i in 0..<run.neurons {
                    let base = (s * run.neurons + i) * p
                    var t = 0
                    for k in 0..<p { t += Int(f[base + k]) }
                    neuronTotals[i] += t
                }
            }
        }
        var gain = [Double](repeating: 0, count: sizes)
        var running = 0
        for n in 0..<sizes {
            running += neuronTotals[n]
            gain[n] = Double(running) / Double(sims * (n + 1) * p)
        }
        var sum = [Double](repeating: 0, count: sizes)
        var sumSquares = [Double](repeating: 0, count: sizes)
        var perPulse = [Int](repeating: 0, count: p)
        run.fired.withUnsafeBufferPointer { f in
            for s in 0..<sims {
                for k in 0..<p { perPulse[k] = 0 }
                for n in 0..<sizes {
                    let base = (s * run.neurons + n) * p
                    for k in 0..<p { perPulse[k] += Int(f[base + k]) }
                    let scale = gain[n] > 0 ? 1 / (Double(n + 1) * gain[n]) : 0
                    var code = 0
                    var acc = 0.0
                    for k in 0..<p {
                        code += perPulse[k]
                        let input = Double(k + 1)
                        let e = Double(code) * scale - input
                        switch measure {
                        case .mae: acc += abs(e)
                        case .rmse: acc += e * e
                        case .relative: acc += abs(e) / input
                        }
                    }
                    var err = acc / Double(p)
                    if measure == .rmse { err = err.squareRoot() }
                    sum[n] += err
                    sumSquares[n] += err * err
                }
            }
        }
        let count = Double(sims)
        let mean = sum.map { $0 / count }
        let sd = zip(sum, sumSquares).map { s, q in (max(0, q / count - (s / count) * (s / count))).squareRoot() }
        return ErrorCurve(sizes: Array(1...sizes), mean: mean, sd: sd, gain: gain)
    }

    /// The smallest population size from which the stochastic population's mean error stays below the
    /// deterministic one's, or nil when it does not end below.
    public static func crossover(stochastic: ErrorCurve, deterministic: ErrorCurve) -> Int? {
        let n = min(stochastic.sizes.count, deterministic.sizes.count)
        var crossing: Int?
        for i in stride(from: n - 1, through: 0, by: -1) {
            guard stochastic.mean[i] < deterministic.mean[i] else { break }
            crossing = stochastic.sizes[i]
        }
        return crossing
    }
}
