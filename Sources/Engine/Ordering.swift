import Model

/// Orders changes so every resource comes after what it depends on (ties broken by
/// kind, then name), and deletes in the reverse order.
enum Ordering {
    static func forward(_ changes: [Change], all resources: [Resource]) -> [Change] {
        let producers = producerIndex(resources)
        return topological(changes) { change in
            guard let resource = change.desired else { return [] }
            return dependencies(of: resource, producers: producers)
        }
    }

    static func reverse(_ changes: [Change], all resources: [Resource]) -> [Change] {
        let producers = producerIndex(resources)
        return topological(changes) { change in
            guard let resource = change.observed else { return [] }
            return dependencies(of: resource, producers: producers)
        }.reversed()
    }

    /// Which pipeline produces each table, so a consumer runs after its producer.
    static func producerIndex(_ resources: [Resource]) -> [ResourceID: ResourceID] {
        var index: [ResourceID: ResourceID] = [:]
        for resource in resources {
            if case .pipeline(let pipeline) = resource.spec {
                for table in pipeline.produces { index[ResourceID(.table, table)] = resource.id }
            }
        }
        return index
    }

    static func dependencies(of resource: Resource, producers: [ResourceID: ResourceID]) -> [ResourceID] {
        var result = resource.dependencies
        if case .pipeline(let pipeline) = resource.spec {
            result += pipeline.consumes.compactMap { producers[ResourceID(.table, $0)] }.filter { $0 != resource.id }
        }
        return result
    }

    /// Kahn's algorithm over the dependencies among `changes`; what is ready goes in
    /// (kind rank, name) order. A cycle (already refused by validation) falls back to
    /// that order for what remains.
    static func topological(_ changes: [Change], dependencies: (Change) -> [ResourceID]) -> [Change] {
        let sorted = changes.sorted { $0.id < $1.id }
        let position = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1.id, $0) })
        var waitingOn = [Int](repeating: 0, count: sorted.count)
        var dependents = [[Int]](repeating: [], count: sorted.count)
        for (index, change) in sorted.enumerated() {
            for dependency in Set(dependencies(change)) {
                guard let other = position[dependency], other != index else { continue }
                waitingOn[index] += 1
                dependents[other].append(index)
            }
        }
        var ready = (0..<sorted.count).filter { waitingOn[$0] == 0 }
        var done = [Bool](repeating: false, count: sorted.count)
        var result: [Change] = []
        result.reserveCapacity(sorted.count)
        while !ready.isEmpty {
            // `ready` is kept sorted by position, which is (rank, name) order.
            let next = ready.removeFirst()
            done[next] = true
            result.append(sorted[next])
            for dependent in dependents[next] {
                waitingOn[dependent] -= 1
                if waitingOn[dependent] == 0 {
                    let insertAt = ready.firstIndex { $0 > dependent } ?? ready.count
                    ready.insert(dependent, at: insertAt)
                }
            }
        }
        result += sorted.indices.filter { !done[$0] }.map { sorted[$0] }
        return result
    }
}
