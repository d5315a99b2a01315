#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import Foundation
import NeuronBoard
import Synchronization

/// `neuronctl supervise -- run ARGS…`: runs the controller as a child process and, however it ends (normal exit,
/// error, signal, `kill -9`, a crash in the real-time thread), opens the board itself and drives every stimulus to
/// the safe state, then reports what the DAC reads back.
///
/// The controller handles SIGINT/SIGTERM/SIGHUP itself (safe state, records written); what no process can handle
/// in itself (SIGKILL, SIGSEGV in the loop thread, the OOM killer) is why this parent exists. It forwards SIGINT,
/// SIGTERM and SIGHUP to the child and waits; it never touches the hardware while the child lives (the buses and
/// lines belong to the child), only after `waitpid` says it is gone. A systemd unit can do the same with
/// `ExecStopPost=neuronctl safe-state --board FILE` (docs/reliability.md).
struct SuperviseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervise",
        abstract: "Run `neuronctl run …` as a child; when it dies by any means, put the board in the safe state.",
        discussion: """
            Example:
              neuronctl supervise -- run --board Boards/rpi4.yaml --duration 60

            The board (and --sim-state, for a simulated board) is taken from the run's own arguments. Exit status: \
            the child's, or 128 + the signal that killed it; 3 if the safe state could not be confirmed.
            """)

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The controller command: run and its options.", valueName: "run args"))
    var command: [String] = []

    func validate() throws {
        guard command.first == "run" else {
            throw ValidationError("give the controller command after --, e.g. neuronctl supervise -- run --board Boards/mock.yaml")
        }
        // Refuse bad run options here, before anything starts (the child would refuse them too, but later).
        _ = try RunCommand.parse(Array(command.dropFirst()))
    }

    func run() throws {
        let runArgs = try RunCommand.parse(Array(command.dropFirst()))
        let status = try spawnAndWait(command)
        let how: String
        let exitCode: Int32
        switch status {
        case .exited(let code):
            how = "controller exited with status \(code)"
            exitCode = code
        case .signaled(let sig):
            how = "controller killed by signal \(sig) (\(String(cString: strsignal(sig))))"
            exitCode = 128 + sig
        }
        let outcome = safeState(board: runArgs.boardOptions.board, stateFile: runArgs.simState)
        printSupervisor("\(how); " + outcome.report.joined(separator: "; "),
                        level: !outcome.reached ? .error : exitCode != 0 ? .warning : .info)
        if !outcome.reached { throw ExitCode(3) }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

/// `neuronctl safe-state --board FILE`: the safe-state routine on its own, for a systemd `ExecStopPost=` or a
/// person at the probe station.
struct SafeStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "safe-state",
        abstract: "Drive every stimulus DAC of a board to 0 V, powered down, and open its stimulus gates.")

    @OptionGroup var boardOptions: BoardOptions

    @Option(name: .customLong("sim-state"), help: ArgumentHelp("Simulated boards: the register file a run kept (--sim-state).", valueName: "file"))
    var simState: String?

    func run() throws {
        let outcome = safeState(board: boardOptions.board, stateFile: simState)
        print(outcome.report.joined(separator: "\n"))
        if !outcome.reached { throw ExitCode(3) }
    }
}

/// Opens `board` and puts every neuron's stimulus in its safe state.
func safeState(board: String, stateFile: String?) -> (reached: Bool, report: [String]) {
    do {
        let description = try BoardLoader.load(path: board)
        let runtime = try BoardRuntime(description, overrides: .init(recordsHistory: false, stateFile: stateFile))
        return runtime.enterSafeStateEverywhere()
    } catch {
        return (false, ["cannot open the board to reach the safe state: \(error)"])
    }
}

/// The child's pid, for the signal handlers (0: none yet).
private let supervisedChild = Atomic<Int32>(0)

enum ChildStatus: Equatable {
    case exited(Int32)
    case signaled(Int32)
}

/// Starts this executable with `arguments` and waits for it, forwarding SIGINT/SIGTERM/SIGHUP. No shell: the
/// arguments go to execve(2) as they are.
func spawnAndWait(_ arguments: [String]) throws -> ChildStatus {
    let exe = "/proc/self/exe"
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    // The child starts with no blocked signals and default dispositions (it installs its own handlers).
    var empty = sigset_t(), defaults = sigset_t()
    sigemptyset(&empty)
    sigemptyset(&defaults)
    for sig in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    for sig in [SIGINT, SIGTERM, SIGHUP] {
        signal(sig) { n in
            let pid = supervisedChild.load(ordering: .relaxed)
            if pid > 0 { kill(pid, n) }
        }
    }
    var unblock = sigset_t()
    sigemptyset(&unblock)
    for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, sig) }
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)

    let argv = (["neuronctl"] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, exe, nil, &attr, argv, environ)
    guard rc == 0 else {
        throw CLIError(description: "supervise: cannot start the controller (\(String(cString: strerror(rc)))).", exitCode: 2)
    }
    supervisedChild.store(pid, ordering: .relaxed)
    printSupervisor("controller pid \(pid)")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else {
            throw CLIError(description: "supervise: waitpid failed (errno \(errno)).", exitCode: 2)
        }
    }
    supervisedChild.store(0, ordering: .relaxed)
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (macros).
    if status & 0x7F == 0 { return .exited((status >> 8) & 0xFF) }
    return .signaled(status & 0x7F)
}
