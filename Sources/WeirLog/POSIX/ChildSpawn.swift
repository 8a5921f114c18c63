import Glibc

/// Starts a program with some of its standard descriptors on the caller's pipe ends,
/// with no signals blocked and SIGPIPE, SIGTERM and SIGINT at their default actions: a
/// child would otherwise inherit the mask of the spawning thread (Dispatch and test
/// threads block signals), and a SIGTERM sent to it would never arrive.
public enum ChildSpawn {
    /// - Parameters:
    ///   - descriptors: which of the caller's descriptors become the child's 0, 1, 2.
    ///   - environment: "NAME=value" entries; the caller's environment when nil.
    ///   - ownProcessGroup: the child leads a process group of its own (its pid), so a
    ///     signal to `-pid` reaches what it starts too, and a terminal's Ctrl-C does not.
    /// - Returns: the child's pid; throws the `posix_spawn` error number.
    public static func spawn(
        _ executable: String, _ arguments: [String], descriptors: [Int32: Int32],
        environment: [String]? = nil, ownProcessGroup: Bool = false
    ) throws(SpawnError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (child, parent) in descriptors.sorted(by: { $0.key < $1.key }) { posix_spawn_file_actions_adddup2(&actions, parent, child) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup($0) } + [nil] }
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp ?? [] { free(pointer) }
        }
        var pid: pid_t = 0
        let status =
            envp.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else { throw SpawnError(errno: status) }
        return pid
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { String(cString: strerror(errno)) }
    }
}
