import Foundation
import Model

/// Whether an environment may be changed at a moment, by its `spec.windows`. Pure: the
/// windows and a time in, the decision out. Like Argo CD's sync windows: with no
/// windows it is always open; with allow windows it is open only inside one; a deny
/// window closes it whatever allows it.
public enum ChangeWindows {
    public struct Status: Sendable, Hashable {
        public var open: Bool
        /// What closes it now: the active deny windows, or every allow window when none is active.
        public var closedBy: [ChangeWindow]
        /// When it next opens (closed now) or next closes (open now), within a year.
        public var next: Date?

        public var state: WindowState { WindowState(open: open, closedBy: closedBy.map(\.description), next: next) }
    }

    /// How far ahead the next opening or closing is looked for.
    public static let horizon: Double = 366 * 86400

    /// The status at `now`; nil when the environment has no windows.
    public static func status(_ windows: [ChangeWindow], at now: Date) -> Status? {
        guard !windows.isEmpty else { return nil }
        var intervals = Intervals(windows: windows, focus: now)
        let lookback = windows.map(\.duration).max() ?? 0
        intervals.generate(through: now.addingTimeInterval(7 * 86400), from: now.addingTimeInterval(-lookback - 86400))
        let openNow = intervals.isOpen(at: now)
        let active = intervals.activeAtFocus
        let closedBy: [ChangeWindow]
        if openNow {
            closedBy = []
        } else if active.contains(where: { $0.kind == .deny }) {
            closedBy = Array(Set(active.filter { $0.kind == .deny })).sorted { $0.schedule < $1.schedule }
        } else {
            closedBy = windows.filter { $0.kind == .allow }
        }
        var reached = now.addingTimeInterval(7 * 86400)
        var next: Date?
        while next == nil && reached.timeIntervalSince(now) <= horizon {
            next = intervals.boundaries(after: now, through: reached).first { intervals.isOpen(at: $0) != openNow }
            if next == nil {
                let further = reached.addingTimeInterval(7 * 86400)
                intervals.generate(through: further, from: reached)
                reached = further
            }
        }
        return Status(open: openNow, closedBy: closedBy, next: next)
    }

    /// The windows' occurrences, generated day by day in each window's time zone and
    /// merged per kind, so a window that recurs every minute is one long interval.
    struct Intervals {
        let windows: [ChangeWindow]
        let hasAllow: Bool
        /// Sorted, disjoint [start, end) intervals where a deny (allow) window is active.
        var deny: [(start: Date, end: Date)] = []
        var allow: [(start: Date, end: Date)] = []
        /// The deny windows active at `focus`, for messages.
        let focus: Date
        var denyAtFocus: Set<Int> = []

        init(windows: [ChangeWindow], focus: Date) {
            self.windows = windows
            self.focus = focus
            hasAllow = windows.contains { $0.kind == .allow }
        }

        /// Adds the occurrences that start in [from, through).
        mutating func generate(through end: Date, from start: Date) {
            var spans: [(start: Date, end: Date, kind: ChangeWindow.Kind)] = []
            for (index, window) in windows.enumerated() {
                for begin in Self.starts(of: window, from: start, through: end) {
                    let span = (begin, begin.addingTimeInterval(window.duration))
                    spans.append((span.0, span.1, window.kind))
                    if window.kind == .deny && span.0 <= focus && focus < span.1 { denyAtFocus.insert(index) }
                }
            }
            spans.sort { $0.start < $1.start }
            for span in spans {
                if span.kind == .deny { Self.merge((span.start, span.end), into: &deny) } else { Self.merge((span.start, span.end), into: &allow) }
            }
        }

        static func merge(_ span: (start: Date, end: Date), into list: inout [(start: Date, end: Date)]) {
            if let last = list.last, span.start <= last.end {
                list[list.count - 1].end = max(last.end, span.end)
            } else {
                list.append(span)
            }
        }

        /// The times `window`'s cron matches in [start, end), in order. A day without a
        /// clock change is walked by offsets from its midnight; one with a change, by the calendar.
        static func starts(of window: ChangeWindow, from start: Date, through end: Date) -> [Date] {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: window.timezone) ?? TimeZone(identifier: "UTC")!
            let hours = window.cron.hours.sorted(), minutes = window.cron.minutes.sorted()
            var found: [Date] = []
            var day = calendar.startOfDay(for: start)
            while day < end {
                guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { break }
                let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
                if let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
                   window.cron.matchesDay(day: dayOfMonth, month: month, weekday: weekday - 1) {
                    let plain = following.timeIntervalSince(day) == 86400
                    for hour in hours {
                        for minute in minutes {
                            let begin = plain ? day.addingTimeInterval(Double(hour * 3600 + minute * 60))
                                : calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute))
                            if let begin, begin >= start, begin < end { found.append(begin) }
                        }
                    }
                }
                day = following
            }
            return found
        }

        static func contains(_ list: [(start: Date, end: Date)], _ time: Date) -> Bool {
            // The last interval starting at or before `time` (binary search).
            var low = 0, high = list.count
            while low < high {
                let middle = (low + high) / 2
                if list[middle].start <= time { low = middle + 1 } else { high = middle }
            }
            return low > 0 && time < list[low - 1].end
        }

        /// The windows active at `focus`.
        var activeAtFocus: [ChangeWindow] {
            var active = denyAtFocus.sorted().map { windows[$0] }
            if Self.contains(allow, focus) { active += windows.filter { $0.kind == .allow } }
            return active
        }

        func isOpen(at time: Date) -> Bool {
            !Self.contains(deny, time) && (!hasAllow || Self.contains(allow, time))
        }

        /// Every start and end in (after, through], in order: the only moments the status can change.
        func boundaries(after: Date, through: Date) -> [Date] {
            Set((deny + allow).flatMap { [$0.start, $0.end] }.filter { $0 > after && $0 <= through }).sorted()
        }
    }
}
