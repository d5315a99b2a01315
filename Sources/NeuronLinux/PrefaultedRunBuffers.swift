import Glibc
public import NeuronHAL

/// Run buffers mapped with `mmap`, on transparent huge pages where the kernel allows them (`madvise(MADV_HUGEPAGE)`;
/// the usual setting is `madvise` in /sys/kernel/mm/transparent_hugepage/enabled), and touched page by page before
/// they are returned, so the loop never takes a page fault on them. With huge pages a 2 MB trace costs one fault
/// instead of ~500. After `mlockall(MCL_FUTURE)` (a real-time run) the mapping is also locked.
///
/// Buffers of 1 MB or more are placed on a 2 MB boundary (the slack of the over-sized mapping is unmapped at once);
/// smaller ones use ordinary pages. Running out of address space traps, as the heap allocator does.
public struct PrefaultedRunBuffers: RunBufferAllocator {
    static let hugePage = 2 << 20
    static let smallPage = 4096

    public init() {}

    /// The length actually mapped for `bytes`.
    static func mappedLength(_ bytes: Int) -> Int {
        let unit = bytes >= hugePage / 2 ? hugePage : smallPage
        return (max(bytes, 1) + unit - 1) / unit * unit
    }

    public func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let length = Self.mappedLength(bytes)
        var huge = length % Self.hugePage == 0 && bytes >= Self.hugePage / 2
        // Over-allocate by one huge page so that an aligned start exists inside the mapping. If that fails (after
        // mlockall(MCL_FUTURE) every mapping counts against RLIMIT_MEMLOCK), the exact length without alignment.
        var mapped = huge ? length + Self.hugePage : length
        var mapping = Self.map(mapped)
        if mapping == nil, huge {
            huge = false
            mapped = length
            mapping = Self.map(mapped)
        }
        guard let raw = mapping else {
            // Before the first tick: nothing has been applied to the DAC yet.
            fatalError("PrefaultedRunBuffers: cannot map \(mapped) bytes for the run's trace (errno \(errno)). "
                + "Fix: raise RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK= in the systemd unit) for real-time runs, "
                + "or record a shorter run or none (--no-trace).")
        }
        var start = raw
        if huge {
            let address = UInt(bitPattern: raw)
            let aligned = (address + UInt(Self.hugePage) - 1) & ~UInt(Self.hugePage - 1)
            let head = Int(aligned - address)
            if head > 0 { munmap(raw, head) }
            let tail = mapped - head - length
            start = raw + head
            if tail > 0 { munmap(start + length, tail) }
            // Advice only: without THP support the pages are simply 4 KB ones.
            _ = madvise(start, length, MADV_HUGEPAGE)
        }
        var offset = 0
        while offset < length {  // fault every page in now, not in a tick (one fault per huge page)
            start.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
            offset += Self.smallPage
        }
        return start
    }

    private static func map(_ length: Int) -> UnsafeMutableRawPointer? {
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        return p
    }

    public func deallocate(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        munmap(buffer, Self.mappedLength(bytes))
    }
}
