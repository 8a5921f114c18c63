import Foundation

/// The process's resources as Prometheus's process collector names them, read from
/// /proc and getrusage at each scrape.
struct ProcessStats {
    var residentBytes: Double = 0
    var virtualBytes: Double = 0
    var openFiles: Double = 0
    var maxFiles: Double = 0
    var cpuSeconds: Double = 0
    var startTime: Double = 0

    static func read() -> ProcessStats {
        var stats = ProcessStats()
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ").compactMap { Double($0) }
            if fields.count >= 2 {
                stats.virtualBytes = fields[0] * page
                stats.residentBytes = fields[1] * page
            }
        }
        stats.openFiles = Double((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { stats.maxFiles = Double(limit.rlim_cur) }
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
            stats.cpuSeconds =
                Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        stats.startTime = startTime
        return stats
    }

    /// Boot time plus the process's start in clock ticks after boot (field 22 of
    /// /proc/self/stat, after the parenthesised command name).
    private static let startTime: Double = {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let boot = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }).flatMap({ Double($0.dropFirst(6)) })
        else { return Date().timeIntervalSince1970 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so field 22 is fields[19].
        guard fields.count > 19, let ticks = Double(fields[19]) else { return Date().timeIntervalSince1970 }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }()
}
