/// Heap storage for a model's hot mutable state, reached through a pointer held in a `let`.
///
/// Why: every access to a mutable stored property of a class is checked for exclusivity at run time
/// (`swift_beginAccess`, a thread-local access set). On the 10 kHz ADC read path those checks were the largest
/// cost after the models' own work, and they buy nothing here: a simulated board is owned by one thread and
/// its models never re-enter themselves. Keeping the state in a struct behind this pointer makes the struct's
/// own (statically checked) mutating methods do the work.
struct UncheckedStorage<Value>: ~Copyable {
    let pointer: UnsafeMutablePointer<Value>

    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
}
