import Foundation

/// `spec.windows[]`: when an environment may (allow) or may not (deny) be changed,
/// like Argo CD's sync windows, checked by every command that changes it.
public struct ChangeWindow: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable { case allow, deny }

    public var kind: Kind
    /// The cron text as written, for messages.
    public var schedule: String
    public var cron: CronExpression
    /// Seconds each window lasts from a time the cron matches.
    public var duration: Double
    /// An IANA time zone the cron is read in.
    public var timezone: String
    public var origin: SourceLocation?

    public init(kind: Kind, schedule: String, cron: CronExpression, duration: Double, timezone: String = "UTC", origin: SourceLocation? = nil) {
        self.kind = kind
        self.schedule = schedule
        self.cron = cron
        self.duration = duration
        self.timezone = timezone
        self.origin = origin
    }

    /// `deny "0 22 * * 5" for 2d (Europe/Berlin)`.
    public var description: String { "\(kind.rawValue) window \"\(schedule)\" for \(Self.durationText(duration)) (\(timezone))" }

    public static func durationText(_ seconds: Double) -> String {
        var rest = Int(seconds)
        var parts: [String] = []
        for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
            parts.append("\(rest / size)\(unit)")
            rest %= size
        }
        return parts.isEmpty ? "0s" : parts.joined()
    }
}

/// A standard five-field cron expression: minute, hour, day of month, month, day of
/// week (0 or 7 is Sunday), each `*`, a number, a range `a-b`, a step `*/n` or
/// `a-b/n`, or a list of those; month and day names (`JAN`, `MON-FRI`) as well. When
/// both day fields are restricted, a day matching either matches (cron's rule).
public struct CronExpression: Sendable, Hashable {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var days: Set<Int>
    public var months: Set<Int>
    /// 0 (Sunday) to 6.
    public var weekdays: Set<Int>
    public var daysRestricted: Bool
    public var weekdaysRestricted: Bool

    public struct ParseError: Error, Sendable, Hashable {
        public var message: String
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    public init(parsing text: String) throws(ParseError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(message: "\"\(text)\" has \(fields.count) field\(fields.count == 1 ? "" : "s"); a window's schedule is 5 cron fields: minute hour day-of-month month day-of-week (\"0 22 * * FRI\")")
        }
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.field(fields[4], "day of week", 0...7, names: Self.dayNames, firstName: 0)
        self.weekdays = Set(weekdays.map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    /// Whether a day (its day of month, month and weekday, 0 = Sunday) matches.
    public func matchesDay(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], firstName: Int = 0) throws(ParseError) -> Set<Int> {
        var values: Set<Int> = []
        func number(_ part: Substring) throws(ParseError) -> Int {
            if let value = Int(part), range.contains(value) { return value }
            if let index = names.firstIndex(of: part.uppercased()) { return index + firstName }
            throw ParseError(message: "\"\(part)\" is not a \(name) (\(range.lowerBound)–\(range.upperBound)\(names.isEmpty ? "" : " or a name like \(names[1])"))")
        }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count), !pieces[0].isEmpty else { throw ParseError(message: "\"\(item)\" is not a \(name) field") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), value > 0 else { throw ParseError(message: "\"\(pieces[1])\" is not a step (a positive number) in the \(name) field") }
                step = value
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                let low = try number(pieces[0][..<dash]), high = try number(pieces[0][pieces[0].index(after: dash)...])
                guard low <= high else { throw ParseError(message: "the \(name) range \"\(pieces[0])\" runs backwards") }
                bounds = low...high
            } else {
                let single = try number(pieces[0])
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }
}

/// Whether an environment's change windows let it be changed now, for plans to show.
public struct WindowState: Sendable, Hashable {
    public var open: Bool
    /// The windows that close it (descriptions), empty when open.
    public var closedBy: [String]
    /// When it next opens (closed) or closes (open), if within a year.
    public var next: Date?

    public init(open: Bool, closedBy: [String], next: Date?) {
        self.open = open
        self.closedBy = closedBy
        self.next = next
    }
}
