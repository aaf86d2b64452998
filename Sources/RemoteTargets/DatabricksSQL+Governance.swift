import Model

/// The DDL of functions, masks, row filters and tags (#15). Pure.
extension DatabricksSQL {
    /// `CREATE OR REPLACE FUNCTION` with typed parameters, the return type, the
    /// comment and the SQL body the manifest declares (its own SQL, by design).
    static func createFunction(_ name: String, _ spec: FunctionSpec) -> String {
        var sql = "CREATE OR REPLACE FUNCTION \(name)("
        sql += spec.parameters.map { "\(identifier($0.name)) \(type($0.type))" }.joined(separator: ", ")
        sql += ")\nRETURNS \(type(spec.returns))"
        if let comment = spec.comment { sql += "\nCOMMENT \(literal(comment))" }
        return sql + "\nRETURN \(spec.body)"
    }

    /// `MASK f [USING COLUMNS (a, b)]`.
    static func maskClause(_ mask: ColumnMask) -> String {
        "MASK \(fullName(mask.function))" + (mask.using.isEmpty ? "" : " USING COLUMNS (\(mask.using.map(identifier).joined(separator: ", ")))")
    }

    /// A new table's tags and its columns', set right after it is created.
    static func tagsOnCreate(_ name: String, _ spec: TableSpec) -> [String] {
        var statements: [String] = []
        if let tags = spec.tags, !tags.isEmpty { statements.append("ALTER TABLE \(name) SET TAGS \(properties(tags))") }
        for column in spec.columns {
            if let tags = column.tags, !tags.isEmpty {
                statements.append("ALTER TABLE \(name) ALTER COLUMN \(identifier(column.name)) SET TAGS \(properties(tags))")
            }
        }
        return statements
    }

    /// The tag changes of a table and its columns.
    static func tagStatements(_ name: String, _ spec: TableSpec, _ fields: [FieldChange]) -> [String] {
        tagStatements("ALTER TABLE \(name)", spec.tags ?? [:], fields, at: [])
            + spec.columns.flatMap { column in
                tagStatements("ALTER TABLE \(name) ALTER COLUMN \(identifier(column.name))", column.tags ?? [:], fields, at: ["columns", column.name])
            }
    }

    /// `UNSET TAGS` for the keys the change removes, `SET TAGS` for those it adds or
    /// changes, on `subject` (`ALTER TABLE t`, `ALTER TABLE t ALTER COLUMN c`, …).
    /// `prefix` locates the tags among the change's fields (`[]` for the object's own).
    static func tagStatements(_ subject: String, _ tags: [String: String], _ fields: [FieldChange], at prefix: [String]) -> [String] {
        var set: [String: String] = [:], unset: [String] = []
        for field in fields where field.segments.count == prefix.count + 2 && Array(field.segments.prefix(prefix.count)) == prefix
            && field.segments[prefix.count] == "tags" {
            let key = field.segments[prefix.count + 1]
            if field.op == .remove { unset.append(key) } else if let value = tags[key] { set[key] = value }
        }
        var statements: [String] = []
        if !unset.isEmpty { statements.append("\(subject) UNSET TAGS (" + unset.sorted().map(literal).joined(separator: ", ") + ")") }
        if !set.isEmpty { statements.append("\(subject) SET TAGS \(properties(set))") }
        return statements
    }
}
