#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NeuronControl

/// The stop request that SIGINT, SIGTERM and SIGHUP set. A global so a C signal handler can reach it without
/// capturing context; setting it is one relaxed atomic store (async-signal-safe).
let processStop = StopRequest()

/// Routes SIGINT, SIGTERM and SIGHUP to `processStop` for the lifetime of the process: the loop notices at its next
/// wake-up, leaves through the safe state, and the records are still written. A second signal of the same kind
/// while stopping is ignored: the safe state must not be interrupted halfway.
func installStopHandlers() {
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        signal(sig) { n in processStop.request(signal: n) }
        sigaddset(&unblock, sig)
    }
    // A blocked mask is inherited across exec (Foundation.Process on Linux passes on Dispatch's, which blocks all
    // three: swift-corelibs-foundation#4772); unblock them, or a stop would stay pending and the DAC stay on.
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
}
