import Foundation

/// How preemptible the running kernel is, which bounds how late a real-time thread can wake: on a kernel that is
/// not fully preemptible, a SCHED_FIFO thread whose timer fires while another task is inside the kernel (a page
/// fault, a write, a compiler's mmap) waits until that task reaches a preemption point, tens of microseconds to
/// milliseconds under load. No setting of the process can change it; the report names the kernel and the fix.
public enum KernelPreemption: Sendable, Hashable {
    /// PREEMPT_RT: the kernel's own work is preemptible too (threaded interrupts, sleeping spinlocks).
    case realtime
    /// Fully preemptible (CONFIG_PREEMPT, or preempt=full / lazy on a PREEMPT_DYNAMIC kernel).
    case full
    /// Preemption only at explicit points (none or voluntary): the common default of distribution kernels.
    case limited(String)
    /// PREEMPT_DYNAMIC with the current mode unreadable (it is in debugfs) and not given on the command line.
    case dynamicUnknown

    /// Classifies from what the system shows (pure; tested on its own): `/sys/kernel/realtime` ("1" on PREEMPT_RT),
    /// `uname -v` (e.g. "#1 SMP PREEMPT_DYNAMIC ..."), `/sys/kernel/debug/sched/preempt` (e.g.
    /// "none (voluntary) full", the current mode in parentheses), and `/proc/cmdline`.
    public static func classify(realtimeFlag: String?, version: String, dynamicModes: String?, commandLine: String?) -> KernelPreemption {
        if realtimeFlag?.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return .realtime }
        let words = Set(version.split(separator: " ").map(String.init))
        if words.contains("PREEMPT_RT") { return .realtime }
        if words.contains("PREEMPT_DYNAMIC") {
            if let modes = dynamicModes, let open = modes.firstIndex(of: "("), let close = modes[open...].firstIndex(of: ")") {
                return mode(String(modes[modes.index(after: open)..<close]))
            }
            if let cmdline = commandLine,
               let arg = cmdline.split(whereSeparator: { $0 == " " || $0 == "\n" }).last(where: { $0.hasPrefix("preempt=") }) {
                return mode(String(arg.dropFirst("preempt=".count)))
            }
            return .dynamicUnknown
        }
        return words.contains("PREEMPT") ? .full : .limited("none or voluntary")
    }

    private static func mode(_ name: String) -> KernelPreemption {
        // `lazy` defers preemption of normal-class tasks only; real-time tasks preempt at once, as with `full`.
        name == "full" || name == "lazy" ? .full : .limited(name)
    }

    /// The running kernel's.
    public static var current: KernelPreemption {
        var u = utsname()
        _ = uname(&u)
        let version = withUnsafeBytes(of: &u.version) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        return classify(realtimeFlag: read("/sys/kernel/realtime"), version: version,
                        dynamicModes: read("/sys/kernel/debug/sched/preempt"), commandLine: read("/proc/cmdline"))
    }

    /// For the real-time report: an applied line, or a warning with the consequence and the fix.
    public var reportLine: (applied: Bool, text: String) {
        switch self {
        case .realtime:
            return (true, "kernel PREEMPT_RT")
        case .full:
            return (true, "kernel fully preemptible (PREEMPT_RT bounds the worst case further)")
        case .limited(let mode):
            return (false, "kernel preemption \(mode): a wake-up of the loop can wait behind another task's kernel work (tens of us to ms under load). Fix: a PREEMPT_RT kernel (docs/real-time.md, Real-time setup on a Raspberry Pi), or boot this kernel with preempt=full if it is PREEMPT_DYNAMIC")
        case .dynamicUnknown:
            return (false, "kernel preemption mode unknown (PREEMPT_DYNAMIC; the mode is in /sys/kernel/debug/sched/preempt, not readable here): with none or voluntary a wake-up of the loop can wait behind another task's kernel work. Fix: boot with preempt=full, or a PREEMPT_RT kernel (docs/real-time.md, Real-time setup on a Raspberry Pi)")
        }
    }
}
