import Model

/// `--select`: which resources a run touches. A pattern is a kind (`Table`), a
/// full-name glob (`main.silver.*`), both (`Table/main.*`), a label (`layer=gold`) or a
/// tag on the resource or one of its columns (`tag:pii=true`);
/// `+` before it adds everything upstream (what it needs and what feeds it: its
/// namespaces, the pipeline producing it and that pipeline's inputs, transitively),
/// `+` after it everything downstream (what needs it or is fed by it). A resource is
/// selected when any pattern selects it; what a selected resource needs to exist (its
/// namespaces) always comes along. Pure: resources in, a set of ids out.
public struct Selection: Sendable {
    public struct Pattern: Sendable, Hashable {
        public enum Match: Sendable, Hashable {
            case kind(ResourceKind, glob: String?)
            case name(String)
            case label(String, String)
            case tag(String, String)
        }

        public var match: Match
        public var upstream: Bool
        public var downstream: Bool
    }

    public let patterns: [Pattern]
    public let texts: [String]

    public static let all = Selection(patterns: [], texts: [])

    public var isAll: Bool { patterns.isEmpty }

    init(patterns: [Pattern], texts: [String]) {
        self.patterns = patterns
        self.texts = texts
    }

    /// Parses `--select` values; an unknown kind is an error naming the closest one.
    public init(_ texts: [String]) throws(ReconcileError) {
        var patterns: [Pattern] = []
        for raw in texts {
            var text = Substring(raw)
            let upstream = text.hasPrefix("+"), downstream = text.hasSuffix("+") && text.count > 1
            if upstream { text = text.dropFirst() }
            if downstream { text = text.dropLast() }
            guard !text.isEmpty else { throw ReconcileError("--select \"\(raw)\" names nothing; write e.g. +main.silver.orders+", kind: .invalid) }
            let match: Pattern.Match
            if text.hasPrefix("tag:") {
                let body = text.dropFirst(4)
                guard let equals = body.firstIndex(of: "="), equals != body.startIndex else {
                    throw ReconcileError("--select \"\(raw)\": a tag pattern is tag:KEY=VALUE, like tag:pii=true", kind: .invalid)
                }
                match = .tag(String(body[..<equals]), String(body[body.index(after: equals)...]))
            } else if let equals = text.firstIndex(of: "="), !text.contains("/") {
                match = .label(String(text[..<equals]), String(text[text.index(after: equals)...]))
            } else if let slash = text.firstIndex(of: "/") {
                let kindName = String(text[..<slash])
                guard let kind = ResourceKind.allCases.first(where: { $0.rawValue.lowercased() == kindName.lowercased() }) else {
                    throw ReconcileError("--select \"\(raw)\": unknown kind \"\(kindName)\"\(Suggest.hint(for: kindName, in: ResourceKind.allCases.map(\.rawValue)))", kind: .invalid)
                }
                match = .kind(kind, glob: String(text[text.index(after: slash)...]))
            } else if let kind = ResourceKind.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
                match = .kind(kind, glob: nil)
            } else {
                match = .name(String(text))
            }
            patterns.append(Pattern(match: match, upstream: upstream, downstream: downstream))
        }
        self.init(patterns: patterns, texts: texts)
    }

    /// Whether `resource` matches a pattern itself (no closure).
    public func matches(_ resource: Resource) -> Bool {
        isAll || patterns.contains { Self.matches($0.match, resource) }
    }

    static func matches(_ match: Pattern.Match, _ resource: Resource) -> Bool {
        switch match {
        case .kind(let kind, let pattern): return resource.id.kind == kind && (pattern.map { Self.glob($0, resource.id.name) } ?? true)
        case .name(let pattern): return glob(pattern, resource.id.name)
        case .label(let key, let value): return resource.labels[key] == value
        case .tag(let key, let value):
            switch resource.spec {
            case .catalog(let spec), .schema(let spec): return spec.tags?[key] == value
            case .table(let spec): return spec.tags?[key] == value || spec.columns.contains { $0.tags?[key] == value }
            default: return false
            }
        }
    }

    /// The ids selected among `resources` (desired and observed), closures included.
    public func ids(in resources: [Resource]) -> Set<ResourceID> {
        var byID: [ResourceID: Resource] = [:]
        for resource in resources where byID[resource.id] == nil { byID[resource.id] = resource }
        guard !isAll else { return Set(byID.keys) }
        // Edges from what is needed or fed to what needs or consumes it.
        let all = Array(byID.values)
        let needs = ResourceGraph.dependencies(all).edges
        var forward: [ResourceID: [ResourceID]] = [:], backward: [ResourceID: [ResourceID]] = [:], needed: [ResourceID: [ResourceID]] = [:]
        for edge in needs + ResourceGraph.lineage(all).edges {
            forward[edge.from, default: []].append(edge.to)
            backward[edge.to, default: []].append(edge.from)
        }
        for edge in needs { needed[edge.to, default: []].append(edge.from) }
        var selected: Set<ResourceID> = []
        for pattern in patterns {
            let seeds = all.filter { Self.matches(pattern.match, $0) }.map(\.id)
            selected.formUnion(seeds)
            if pattern.upstream { selected.formUnion(Self.reach(seeds, backward)) }
            if pattern.downstream { selected.formUnion(Self.reach(seeds, forward)) }
        }
        // What the selection needs to exist (its namespaces, a pipeline's tables) comes
        // along, or applying it would fail; unchanged, it costs nothing.
        return Self.reach(Array(selected), needed)
    }

    static func reach(_ seeds: [ResourceID], _ edges: [ResourceID: [ResourceID]]) -> Set<ResourceID> {
        var seen = Set(seeds), stack = seeds
        while let next = stack.popLast() {
            for neighbour in edges[next] ?? [] where seen.insert(neighbour).inserted { stack.append(neighbour) }
        }
        return seen
    }

    /// Shell-style `*` and `?` over the whole name (`*` crosses dots).
    public static func glob(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        var (pi, ni, star, mark) = (0, 0, -1, 0)
        while ni < n.count {
            if pi < p.count, p[pi] == "?" || p[pi] == n[ni] { pi += 1; ni += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ni; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ni = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// `plan` restricted to the selected ids: the rest is listed as left out.
    public func restrict(_ plan: Plan, to ids: Set<ResourceID>) -> Plan {
        guard !isAll else { return plan }
        var plan = plan
        plan.leftOut = plan.changes.filter { !ids.contains($0.id) }.map(\.id)
        plan.changes = plan.changes.filter { ids.contains($0.id) }
        plan.notices = plan.notices.filter { ids.contains($0.id) }
        plan.selection = texts
        return plan
    }
}
