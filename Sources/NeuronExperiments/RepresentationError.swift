// The representation error of a population code (paper, Fig. 3d).
//
// The paper's supplementary note that defines the error is not available, so the definitions here are ours.
//
// A population represents the input (the number of pulses n received so far, n = 1...P) by its code c(n), the
// cumulative spikes of its N neurons after pulse n.
//
// - `ml`: the error probability of a maximum-likelihood decoder. For each population size the likelihood P(c | n)
//   is the distribution of c(n) over all simulations; the decoder reads n̂ = argmax_n P(c | n), and the error is
//   P(n̂ ≠ n) with n uniform over 1...P, which is 1 − Σ_c max_n P(c | n) / P (ties split evenly). It asks how well
//   the population distinguishes inputs with no read-out assumed: the deterministic population fires on even
//   pulses only, so pulses 2k and 2k+1 give the same code (error 0.4 for 10 pulses, whatever N). The likelihood is
//   estimated from the same simulations it decodes, which flatters the stochastic population slightly: the paper
//   model crosses at N = 10 here (an exactly known binomial likelihood would be the ideal decoder).
//
// The other definitions decode linearly, n̂ = c(n) / (N·r), with r the population's mean spikes per neuron per
// pulse, calibrated over the whole train and all simulations (for the paper model r ≈ 1 − e^(−w/τ), 0.52 at 5 ms;
// for the deterministic neuron exactly 1/2), and summarise the decoding error n̂ − n, in pulses:
// - `pooled-rms` (default): the root of the mean of (n̂ − n)² over all simulations and pulses together, i.e. the
//   RMS error of the read-out over the whole ensemble the figure averages (paper: "averaged over 1000
//   simulations"). Averaging per-simulation RMS values instead (`rmse`) averages a square root, which Jensen's
//   inequality biases low for the noisy stochastic population and not at all for the deterministic one, and so
//   moves the crossover down. Deterministic: 0.71 pulses. The paper model crosses at N = 11, the paper's number.
// - `mae`: per simulation the mean |n̂ − n|, then the mean over simulations. Deterministic: 0.5 pulses.
// - `rmse`: per simulation the RMS of n̂ − n, then the mean over simulations (crosses at 9).
// - `relative`: per simulation the mean |n̂ − n| / n (weights the first pulses most).
//
// Fig. 3d plots the error with a one-SD band over simulations (for `ml`: of each simulation's fraction of
// misdecoded pulses; for `pooled-rms`: of the per-simulation RMS). The crossover is the smallest size from which the
// stochastic population's error stays below the deterministic one's. docs/model.md tabulates each definition's
// crossover.

/// How the decoding errors over the pulses of one simulation are summarised.
public enum RepresentationErrorMeasure: String, Sendable, CaseIterable {
    case ml
    case pooledRMS = "pooled-rms"
    case mae, rmse, relative

    /// One line for help texts and file headers.
    public var explanation: String {
        switch self {
        case .ml: "error probability of a maximum-likelihood decoder of n from the code c(n)"
        case .pooledRMS: "root mean square of (n_decoded - n) over all simulations and pulses together, in pulses"
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
        if measure == .ml { return maximumLikelihoodCurve(run, sizes: sizes, gain: gain) }
        var sum = [Double](repeating: 0, count: sizes)
        var sumSquares = [Double](repeating: 0, count: sizes)
        var pooled = [Double](repeating: 0, count: sizes)
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
                        case .rmse, .pooledRMS, .ml: acc += e * e
                        case .relative: acc += abs(e) / input
                        }
                    }
                    pooled[n] += acc
                    var err = acc / Double(p)
                    if measure == .rmse || measure == .pooledRMS { err = err.squareRoot() }
                    sum[n] += err
                    sumSquares[n] += err * err
                }
            }
        }
        let count = Double(sims)
        let mean = measure == .pooledRMS ? pooled.map { ($0 / (count * Double(p))).squareRoot() } : sum.map { $0 / count }
        let sd = zip(sum, sumSquares).map { s, q in (max(0, q / count - (s / count) * (s / count))).squareRoot() }
        return ErrorCurve(sizes: Array(1...sizes), mean: mean, sd: sd, gain: gain)
    }

    /// `ml`: for each size, the likelihood P(c | n) is the histogram of c(n) over simulations; the decoder's error is
    /// 1 − Σ_c max_n count(n, c) / (S·P). The SD is over simulations of the fraction of pulses that simulation's codes
    /// are misdecoded (ties count as the fraction of the tie a random choice gets wrong).
    static func maximumLikelihoodCurve(_ run: PopulationRun, sizes: Int, gain: [Double]) -> ErrorCurve {
        let p = run.pulses, sims = run.simulations
        var mean = [Double](repeating: 0, count: sizes), sd = [Double](repeating: 0, count: sizes)
        var codes = [Int](repeating: 0, count: sims * p)
        var perPulse = [Int](repeating: 0, count: sims * p)
        var counts: [Int] = []
        run.fired.withUnsafeBufferPointer { f in
            for n in 0..<sizes {
                // Extend every simulation's per-pulse spike count by neuron n, then accumulate into codes.
                var maxCode = 0
                for s in 0..<sims {
                    let base = (s * run.neurons + n) * p
                    var code = 0
                    for k in 0..<p {
                        perPulse[s * p + k] += Int(f[base + k])
                        code += perPulse[s * p + k]
                        codes[s * p + k] = code
                    }
                    maxCode = max(maxCode, code)
                }
                let width = maxCode + 1
                counts = [Int](repeating: 0, count: p * width)
                for s in 0..<sims { for k in 0..<p { counts[k * width + codes[s * p + k]] += 1 } }
                // Per code: the largest count over inputs and how many inputs share it.
                var best = [Int](repeating: 0, count: width), ties = [Int](repeating: 0, count: width)
                for c in 0..<width {
                    for k in 0..<p {
                        let x = counts[k * width + c]
                        if x > best[c] { best[c] = x; ties[c] = 1 } else if x == best[c] && x > 0 { ties[c] += 1 }
                    }
                }
                var correct = 0
                for c in 0..<width { correct += best[c] }
                mean[n] = 1 - Double(correct) / Double(sims * p)
                // Per simulation: probability of decoding each of its pulses correctly.
                var sumE = 0.0, sumE2 = 0.0
                for s in 0..<sims {
                    var right = 0.0
                    for k in 0..<p {
                        let c = codes[s * p + k]
                        if counts[k * width + c] == best[c] { right += 1 / Double(ties[c]) }
                    }
                    let e = 1 - right / Double(p)
                    sumE += e
                    sumE2 += e * e
                }
                let m = sumE / Double(sims)
                sd[n] = (max(0, sumE2 / Double(sims) - m * m)).squareRoot()
            }
        }
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
