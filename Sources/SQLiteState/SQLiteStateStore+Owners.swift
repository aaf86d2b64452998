import Foundation
import Model
import SQLite

/// Which project each environment belongs to (a store shared by projects keeps each
/// environment for one).
extension SQLiteStateStore {
    public func owner(of environment: String) throws(TargetError) -> String? {
        try run { () throws(SQLiteError) in
            try database.query("SELECT project FROM environment_owners WHERE environment = ?", [.text(environment)]).first?[0].string
        }
    }

    public func claim(_ environment: String, for project: String) throws(TargetError) -> String {
        try write { () throws(SQLiteError) in
            try database.query("INSERT INTO environment_owners (environment, project, claimed_at) VALUES (?, ?, ?) ON CONFLICT (environment) DO NOTHING",
                               [.text(environment), .text(project), .real(Date().timeIntervalSince1970)])
        }
        guard let owner = try owner(of: environment) else { throw TargetError(nil, "the state store \(location) did not record who owns environment \(environment); run again") }
        return owner
    }
}
