#if canImport(Glibc)
import Glibc
#endif

/// Measures how busy the rest of the machine was while this process ran a sample: all CPUs' busy
/// time from `/proc/stat` minus this process's own CPU time, per wall-clock second (in "cores").
/// On a shared, noisy machine, samples taken while something else ran (a compiler, a test run) can be
/// told apart from clean ones. Linux only; elsewhere every reading is nil.
public struct ForeignLoadProbe {
    private let busyTicks: Double?
    private let ownCPU: Double
    private let wall: ContinuousClock.Instant

    public init() {
        busyTicks = Self.readBusyTicks()
        ownCPU = Self.ownCPUSeconds()
        wall = ContinuousClock.now
    }

    /// Cores' worth of CPU used by everything except this process since `init`.
    public func foreignCores() -> Double? {
        guard let start = busyTicks, let end = Self.readBusyTicks() else { return nil }
        let elapsed = ContinuousClock.now - wall
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds > 0 else { return nil }
        let busySeconds = (end - start) / Self.ticksPerSecond
        return max(0, busySeconds - (Self.ownCPUSeconds() - ownCPU)) / seconds
    }

    private static let ticksPerSecond: Double = {
        #if canImport(Glibc)
        let t = sysconf(Int32(_SC_CLK_TCK))
        return t > 0 ? Double(t) : 100
        #else
        return 100
        #endif
    }()

    /// user + nice + system + irq + softirq + steal of the aggregate "cpu" line.
    private static func readBusyTicks() -> Double? {
        #if canImport(Glibc)
        guard let file = fopen("/proc/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return nil }
        return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        #else
        return nil
        #endif
    }

    private static func ownCPUSeconds() -> Double {
        #if canImport(Glibc)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        #else
        return 0
        #endif
    }
}
