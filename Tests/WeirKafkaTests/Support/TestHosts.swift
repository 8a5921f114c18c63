import Foundation
import Testing
import WeirTestSupport

/// Several "hosts" on one machine, for tests of processes that talk over a network: each
/// host is a network namespace of its own with `lo` up and one veth (`eth0`) into a
/// bridge that lives in a further "switch" namespace, with an address in a private /24
/// (10.231.X.0/24, X random per instance) and no route anywhere else. The root namespace
/// (the test process itself) cannot reach them; processes run inside with `spawn`.
///
/// Namespace names hold the test's pid and a random suffix, so tests running at once
/// never clash; interface names live inside the namespaces only. Everything is made and
/// removed with `ip` (iproute2) through `posix_spawn`. `close()` (or deinit) kills every
/// process started here that still runs, then deletes the namespaces (and so their veths).
/// Needs root; without `ip` or without the right to make namespaces, `init` throws.
final class TestHosts: @unchecked Sendable {
    /// One host: its name in the test, its namespace and its address.
    struct Host: Sendable {
        let name: String
        let namespace: String
        let address: String
    }

    let hosts: [Host]
    private let ip: String
    private let switchNamespace: String
    private let lock = NSLock()
    private var processes: [BackgroundClient] = []
    private var made: [String] = []
    private var closed = false

    /// Makes a host for each of `names` (blocking: call from a thread of its own).
    init(_ names: [String]) throws {
        let ip = try Self.ipCommandPath()
        self.ip = ip
        let prefix = "w\(getpid())\(String(UInt32.random(in: 0..<(1 << 20)), radix: 36))"
        let subnet = "10.231.\(Int.random(in: 0...255))"
        switchNamespace = prefix + "-sw"
        hosts = names.enumerated().map {
            Host(name: $0.element, namespace: "\(prefix)-\($0.offset)", address: "\(subnet).\($0.offset + 1)")
        }
        do {
            try makeNamespace(switchNamespace)
            try ipCommand(["-n", switchNamespace, "link", "add", "br0", "type", "bridge"])
            try ipCommand(["-n", switchNamespace, "link", "set", "br0", "up"])
            for (index, host) in hosts.enumerated() {
                try makeNamespace(host.namespace)
                let port = "p\(index)"
                try ipCommand(["-n", host.namespace, "link", "set", "lo", "up"])
                try ipCommand(["-n", switchNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.namespace])
                try ipCommand(["-n", switchNamespace, "link", "set", port, "master", "br0"])
                try ipCommand(["-n", switchNamespace, "link", "set", port, "up"])
                try ipCommand(["-n", host.namespace, "addr", "add", host.address + "/24", "dev", "eth0"])
                try ipCommand(["-n", host.namespace, "link", "set", "eth0", "up"])
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Where `ip` is.
    private static func ipCommandPath() throws -> String {
        guard let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "TestHosts needs the ip command (iproute2): run scripts/bootstrap --test")
        }
        return ip
    }

    /// The names of every network namespace on the machine now (`ip netns list`).
    static func existingNamespaces() throws -> [String] {
        try run(try ipCommandPath(), ["netns", "list"]).stdoutText.split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
    }

    /// Every namespace this instance makes: the hosts' and the switch's.
    var namespaces: [String] { hosts.map(\.namespace) + [switchNamespace] }

    /// The host named `name` (a test's own mistake if there is none).
    func host(_ name: String) -> Host {
        guard let host = hosts.first(where: { $0.name == name }) else { preconditionFailure("no test host named \(name)") }
        return host
    }

    /// The address of host `name`.
    func address(_ name: String) -> String { host(name).address }

    /// Starts `executable` with `arguments` inside host `name`'s namespace (`ip netns exec`
    /// execs it in place, so the pid is the program's own); its stdout and stderr are
    /// collected as they come. Killed by `close()` if it still runs then.
    func spawn(host name: String, _ executable: String, _ arguments: [String]) throws -> BackgroundClient {
        let process = try BackgroundClient(ip, ["netns", "exec", host(name).namespace, executable] + arguments)
        lock.withLock { processes.append(process) }
        return process
    }

    /// Takes host `name`'s link down. Meanwhile nothing passes either way: the host's
    /// connected route goes with its link, so its own sends fail at once ("network
    /// unreachable"), and what others send to it is dropped at the switch. Established TCP
    /// connections are not closed on either side: they retransmit, and carry on after
    /// `restore` unless a timeout of their own fired first.
    func cut(_ name: String) throws {
        try ipCommand(["-n", host(name).namespace, "link", "set", "eth0", "down"])
    }

    /// Brings host `name`'s link up again (its address stays; its route comes back).
    func restore(_ name: String) throws {
        try ipCommand(["-n", host(name).namespace, "link", "set", "eth0", "up"])
    }

    /// Kills (SIGKILL) every process started here that still runs, then deletes every
    /// namespace made here. Idempotent.
    func close() {
        let (running, namespaces): ([BackgroundClient], [String]) = lock.withLock {
            defer {
                processes = []
                made = []
                closed = true
            }
            return closed ? ([], []) : (processes, made)
        }
        for process in running { process.stop(signal: SIGKILL) }
        for namespace in namespaces.reversed() { _ = try? run(ip, ["netns", "del", namespace]) }
    }

    private func makeNamespace(_ name: String) throws {
        let result = try run(ip, ["netns", "add", name])
        guard result.status == 0 else {
            throw Failure(
                description: "TestHosts could not make a network namespace (run the tests as root): ip netns add \(name): "
                    + result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        lock.withLock { made.append(name) }
    }

    private func ipCommand(_ arguments: [String]) throws {
        let result = try run(ip, arguments)
        guard result.status == 0 else {
            throw Failure(
                description: "TestHosts: ip \(arguments.joined(separator: " ")) failed: "
                    + result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

extension TestHosts {
    /// Makes hosts `names`, runs `scenario` on a thread of its own with a temporary
    /// directory, then stops every process and removes the hosts, and checks none is left
    /// behind, whatever the scenario threw. `what` names the test in the time it prints.
    static func withHosts(
        _ names: [String], _ what: String, _ scenario: @escaping @Sendable (TestHosts, TemporaryDirectory) throws -> Void
    ) async throws {
        let started = Date()
        let hosts = try await onOwnThread { try TestHosts(names) }
        let namespaces = hosts.namespaces
        var failure: (any Error)?
        do {
            try await onOwnThread {
                let directory = TemporaryDirectory()
                defer {
                    hosts.close()
                    withExtendedLifetime(directory) {}
                }
                try scenario(hosts, directory)
            }
        } catch {
            failure = error
        }
        let left = try await onOwnThread { try TestHosts.existingNamespaces() }
        #expect(Set(namespaces).isDisjoint(with: left), "namespaces left behind: \(Set(namespaces).intersection(left))")
        print("\(what) took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        if let failure { throw failure }
    }
}
