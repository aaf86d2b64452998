import Model

/// The DDL a Databricks SQL warehouse runs for a planned change: identifiers always
/// backtick-quoted (backticks doubled), string literals single-quoted with `\` and
/// `'` escaped, so no name or comment can change what a statement does. Pure.
public enum DatabricksSQL {
    public static func identifier(_ name: String) -> String {
        "`" + name.replacing("`", with: "``") + "`"
    }

    /// `main.sales.orders` → `` `main`.`sales`.`orders` ``.
    public static func fullName(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { identifier(String($0)) }.joined(separator: ".")
    }

    public static func literal(_ text: String) -> String {
        var out = "'"
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "'"
    }

    /// Spark SQL type syntax with keywords in upper case and struct field names quoted.
    /// (DDL has no syntax for non-null array elements or map values; those stay nullable.)
    static func type(_ type: DataType) -> String {
        switch type {
        case .array(let element, _):
            return "ARRAY<\(self.type(element))>"
        case .map(let key, let value, _):
            return "MAP<\(self.type(key)), \(self.type(value))>"
        case .struct(let fields):
            return "STRUCT<" + fields.map { field in
                var text = "\(identifier(field.name)): \(self.type(field.type))"
                if !field.nullable { text += " NOT NULL" }
                if let comment = field.comment { text += " COMMENT \(literal(comment))" }
                return text
            }.joined(separator: ", ") + ">"
        default:
            return type.description.uppercased()
        }
    }

    /// A column's definition, with its mask: a new column is masked from its first moment.
    static func column(_ column: Column) -> String {
        var text = "\(identifier(column.name)) \(type(column.type))"
        if !column.nullable { text += " NOT NULL" }
        if let clause = column.mask { text += " " + maskClause(clause) }
        if let comment = column.comment { text += " COMMENT \(literal(comment))" }
        return text
    }

    static func properties(_ map: [String: String]) -> String {
        "(" + map.keys.sorted().map { "\(literal($0)) = \(literal(map[$0]!))" }.joined(separator: ", ") + ")"
    }

    /// The statements for `change`, in the order they must run. A kind SQL does not
    /// manage, or a change without the spec it needs, is an error: never no statements
    /// for a change that would then be journaled as applied.
    public static func statements(for change: Change) throws(TargetError) -> [String] {
        switch change.id.kind {
        case .catalog, .schema, .table, .function: break
        case .grants, .pipeline, .model, .featureFlag:
            throw TargetError(change.id, "internal error: \(change.id.kind.plural) are not changed by SQL statements")
        }
        let name = fullName(change.id.name)
        switch (change.id.kind, change.action, change.desired?.spec) {
        case (.function, .delete, _): return ["DROP FUNCTION IF EXISTS \(name)"]
        case (.function, _, .function(let spec)?): return [createFunction(name, spec)]
        case (.catalog, .create, .catalog(let spec)?), (.schema, .create, .schema(let spec)?):
            let noun = change.id.kind == .catalog ? "CATALOG" : "SCHEMA"
            var create = "CREATE \(noun) IF NOT EXISTS \(name)"
            if let comment = spec.comment { create += " COMMENT \(literal(comment))" }
            if change.id.kind == .schema, !spec.properties.isEmpty { create += " WITH DBPROPERTIES \(properties(spec.properties))" }
            var statements = [create]
            if let owner = spec.owner { statements.append("ALTER \(noun) \(name) OWNER TO \(identifier(owner))") }
            if let tags = spec.tags, !tags.isEmpty { statements.append("ALTER \(noun) \(name) SET TAGS \(properties(tags))") }
            return statements
        case (.catalog, .update, .catalog(let spec)?), (.schema, .update, .schema(let spec)?):
            let noun = change.id.kind == .catalog ? "CATALOG" : "SCHEMA"
            var statements: [String] = []
            for field in change.fields {
                switch field.segments.first {
                case "comment": statements.append("COMMENT ON \(noun) \(name) IS \(spec.comment.map(literal) ?? "NULL")")
                case "owner": if let owner = spec.owner { statements.append("ALTER \(noun) \(name) OWNER TO \(identifier(owner))") }
                default: break
                }
            }
            if change.id.kind == .schema, change.fields.contains(where: { $0.segments.first == "properties" }) {
                statements.append("ALTER SCHEMA \(name) SET DBPROPERTIES \(properties(spec.properties))")
            }
            return statements + tagStatements("ALTER \(noun) \(name)", spec.tags ?? [:], change.fields, at: [])
        case (.catalog, .delete, _): return ["DROP CATALOG IF EXISTS \(name) RESTRICT"]
        case (.schema, .delete, _): return ["DROP SCHEMA IF EXISTS \(name) RESTRICT"]
        case (.table, .create, .table(let spec)?): return createTable(name, spec, replace: false)
        case (.table, .replace, .table(let spec)?): return createTable(name, spec, replace: true)
        case (.table, .update, .table(let spec)?): return alterTable(name, spec, change.fields)
        case (.table, .delete, _): return ["DROP TABLE IF EXISTS \(name)"]
        default:
            throw TargetError(change.id, "internal error: a \(change.action.rawValue) of \(change.id) without its \(change.id.kind.rawValue) spec")
        }
    }

    static func createTable(_ name: String, _ spec: TableSpec, replace: Bool) -> [String] {
        var sql = "\(replace ? "CREATE OR REPLACE TABLE" : "CREATE TABLE IF NOT EXISTS") \(name) (\n"
        sql += spec.columns.map { "  " + column($0) }.joined(separator: ",\n")
        sql += "\n) USING DELTA"
        // A new table is masked and filtered from its first moment (never a window without them).
        if let filter = spec.rowFilter { sql += "\nWITH ROW FILTER \(fullName(filter.function)) ON (\(filter.on.map(identifier).joined(separator: ", ")))" }
        if !spec.partitionedBy.isEmpty { sql += "\nPARTITIONED BY (" + spec.partitionedBy.map(identifier).joined(separator: ", ") + ")" }
        if !spec.clusterBy.isEmpty { sql += "\nCLUSTER BY (" + spec.clusterBy.map(identifier).joined(separator: ", ") + ")" }
        if let comment = spec.comment { sql += "\nCOMMENT \(literal(comment))" }
        if let location = spec.location { sql += "\nLOCATION \(literal(location))" }
        if !spec.properties.isEmpty { sql += "\nTBLPROPERTIES \(properties(spec.properties))" }
        return [sql] + spec.constraints.keys.sorted().map { "ALTER TABLE \(name) ADD CONSTRAINT \(identifier($0)) CHECK (\(spec.constraints[$0]!))" }
            + tagsOnCreate(name, spec)
    }

    /// The table-feature properties (column mapping, type widening) the change turns on.
    static func enabledFeatures(_ spec: TableSpec, _ fields: [FieldChange]) -> [String: String] {
        var enabling: [String: String] = [:]
        for field in fields where field.op == .add && field.segments.count == 2 && field.segments[0] == "properties"
            && DeltaProperties.setByEvolution.contains(field.segments[1]) {
            enabling[field.segments[1]] = spec.properties[field.segments[1]] ?? field.after?.stringValue
        }
        return enabling
    }

    static func alterTable(_ name: String, _ spec: TableSpec, _ fields: [FieldChange]) -> [String] {
        var statements: [String] = []
        // Column mapping and type widening are turned on before the renames, drops and type changes that need them.
        let enabling = enabledFeatures(spec, fields)
        if !enabling.isEmpty { statements.append("ALTER TABLE \(name) SET TBLPROPERTIES \(properties(enabling))") }
        for field in fields where field.segments.count == 3 && field.segments[0] == "columns" && field.segments[2] == "name" {
            guard let old = field.before?.stringValue, let new = field.after?.stringValue else { continue }
            statements.append("ALTER TABLE \(name) RENAME COLUMN \(identifier(old)) TO \(identifier(new))")
        }
        let dropped = fields.filter { $0.op == .remove && $0.segments.count == 2 && $0.segments[0] == "columns" }.map { $0.segments[1] }
        if !dropped.isEmpty {
            statements.append("ALTER TABLE \(name) DROP COLUMNS (" + dropped.map(identifier).joined(separator: ", ") + ")")
        }
        let added = fields.filter { $0.op == .add && $0.segments.count == 2 && $0.segments[0] == "columns" }
            .compactMap { spec.column(named: $0.segments[1]) }
        if !added.isEmpty {
            statements.append("ALTER TABLE \(name) ADD COLUMNS (" + added.map(column).joined(separator: ", ") + ")")
            statements += added.compactMap { column in
                (column.tags ?? [:]).isEmpty ? nil : "ALTER TABLE \(name) ALTER COLUMN \(identifier(column.name)) SET TAGS \(properties(column.tags!))"
            }
        }
        var setProperties: [String: String] = [:], unsetProperties: [String] = []
        for field in fields {
            let segments = field.segments
            switch (segments.first, segments.count) {
            case ("clusterBy", 1):
                statements.append("ALTER TABLE \(name) CLUSTER BY " + (spec.clusterBy.isEmpty ? "NONE" : "(" + spec.clusterBy.map(identifier).joined(separator: ", ") + ")"))
            case ("comment", 1):
                statements.append("COMMENT ON TABLE \(name) IS \(spec.comment.map(literal) ?? "NULL")")
            case ("columns", 3):
                guard let column = spec.column(named: segments[1]) else { continue }
                let target = "ALTER TABLE \(name) ALTER COLUMN \(identifier(column.name))"
                switch segments[2] {
                case "type": statements.append("\(target) TYPE \(type(column.type))")
                case "nullable": statements.append("\(target) \(column.nullable ? "DROP" : "SET") NOT NULL")
                case "comment": statements.append("\(target) COMMENT \(literal(column.comment ?? ""))")
                case "mask": statements.append("\(target) " + (column.mask.map { "SET " + maskClause($0) } ?? "DROP MASK"))
                default: break
                }
            case ("rowFilter", 1):
                statements.append("ALTER TABLE \(name) " + (spec.rowFilter.map { "SET ROW FILTER \(fullName($0.function)) ON (\($0.on.map(identifier).joined(separator: ", ")))" } ?? "DROP ROW FILTER"))
            case ("properties", 2):
                if enabling[segments[1]] != nil { continue }
                if field.op == .remove { unsetProperties.append(segments[1]) } else { setProperties[segments[1]] = spec.properties[segments[1]] }
            case ("constraints", 2):
                if field.op != .add { statements.append("ALTER TABLE \(name) DROP CONSTRAINT IF EXISTS \(identifier(segments[1]))") }
                if field.op != .remove, let expression = spec.constraints[segments[1]] {
                    statements.append("ALTER TABLE \(name) ADD CONSTRAINT \(identifier(segments[1])) CHECK (\(expression))")
                }
            default:
                break
            }
        }
        if !setProperties.isEmpty { statements.append("ALTER TABLE \(name) SET TBLPROPERTIES \(properties(setProperties))") }
        if !unsetProperties.isEmpty {
            statements.append("ALTER TABLE \(name) UNSET TBLPROPERTIES IF EXISTS (" + unsetProperties.sorted().map(literal).joined(separator: ", ") + ")")
        }
        return statements + tagStatements(name, spec, fields)
    }
}

