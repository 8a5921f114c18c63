import NIOCore
import WeirLog

/// FindCoordinator, ListGroups, DescribeGroups and DeleteGroups: node 0 coordinates every
/// group, and every group of the log is listed, whoever its members are.
extension KafkaBroker {
    func findCoordinator(_ request: FindCoordinatorAPI.Request) -> FindCoordinatorAPI.Response {
        guard request.keyType == FindCoordinatorAPI.groupKeyType else {
            return FindCoordinatorAPI.Response(
                errorCode: .coordinatorNotAvailable, errorMessage: "Weir does not implement transactions", nodeID: -1, host: "", port: -1)
        }
        return FindCoordinatorAPI.Response(nodeID: Self.nodeID, host: advertisedHost, port: Int32(advertisedPort))
    }

    func listGroups() -> ListGroupsAPI.Response {
        ListGroupsAPI.Response(
            groups: log.groups.groupNames.map { name in
                .init(groupID: name, protocolType: log.groups.describeRemote(group: name)?.protocolType ?? "consumer")
            })
    }

    func describeGroups(_ request: DescribeGroupsAPI.Request) -> DescribeGroupsAPI.Response {
        DescribeGroupsAPI.Response(
            groups: request.groups.map { name in
                guard let group = log.groups.describeRemote(group: name) else {
                    return .init(groupID: name, groupState: "Dead", protocolType: "", protocolData: "", members: [])
                }
                return .init(
                    groupID: name, groupState: group.state, protocolType: group.protocolType, protocolData: group.protocol,
                    members: group.members.map { member in
                        let assignment: ByteBuffer
                        switch member.assignment {
                        case .relayed(let bytes): assignment = ByteBuffer(bytes: bytes)
                        case .assigned(let partitions): assignment = Self.encodeAssignment(partitions)
                        }
                        return .init(
                            memberID: member.memberID, groupInstanceID: member.instanceID, clientID: member.clientID,
                            clientHost: member.clientHost, memberMetadata: ByteBuffer(bytes: member.metadata), memberAssignment: assignment)
                    })
            })
    }

    func deleteGroups(_ request: DeleteGroupsAPI.Request) async -> DeleteGroupsAPI.Response {
        var results: [DeleteGroupsAPI.Response.DeletableGroupResult] = []
        for name in request.groupsNames {
            do {
                try await onBlockingThread { [log] in try log.groups.deleteGroup(name) }
                results.append(.init(groupID: name))
            } catch {
                results.append(.init(groupID: name, errorCode: KafkaErrorCode(error)))
            }
        }
        return DeleteGroupsAPI.Response(results: results)
    }
}
