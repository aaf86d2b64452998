import Foundation
import Testing
import Model
@testable import Engine

@Suite struct ChangeWindowTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func window(_ kind: ChangeWindow.Kind, _ cron: String, _ duration: Double, _ timezone: String = "UTC") throws -> ChangeWindow {
        ChangeWindow(kind: kind, schedule: cron, cron: try CronExpression(parsing: cron), duration: duration, timezone: timezone)
    }

    @Test func cronFieldsParse() throws {
        let cron = try CronExpression(parsing: "*/15 9-17 1,15 JAN-MAR MON-FRI")
        #expect(cron.minutes == [0, 15, 30, 45] && cron.hours == Set(9...17) && cron.days == [1, 15] && cron.months == [1, 2, 3] && cron.weekdays == Set(1...5))
        #expect(try CronExpression(parsing: "0 0 * * 7").weekdays == [0], "7 is Sunday too")
        #expect(try CronExpression(parsing: "5/20 * * * *").minutes == [5, 25, 45])
        // Both day fields restricted: either matches (cron's rule).
        let either = try CronExpression(parsing: "0 0 13 * FRI")
        #expect(either.matchesDay(day: 13, month: 6, weekday: 2) && either.matchesDay(day: 7, month: 6, weekday: 5) && !either.matchesDay(day: 7, month: 6, weekday: 4))
    }

    @Test(arguments: [("0 22 * *", "has 4 fields"), ("60 * * * *", "\"60\" is not a minute (0–59)"), ("0 0 * * FUN", "\"FUN\" is not a day of week"),
                      ("0 5-1 * * *", "runs backwards"), ("*/0 * * * *", "is not a step"), ("0 0 * 13 *", "is not a month"), ("0,,5 * * * *", "is not a minute field")])
    func badCronIsExplained(_ text: String, _ message: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(parsing: text) }
        do { _ = try CronExpression(parsing: text) } catch { #expect(error.message.contains(message), "\(error.message)") }
    }

    @Test func aFridayFreezeInBerlinClosesUntilSundayNight() throws {
        // Fridays 22:00 Berlin for two days; Berlin is UTC+1 in November.
        let freeze = try Self.window(.deny, "0 22 * * FRI", 2 * 86400, "Europe/Berlin")
        let saturday = try #require(ChangeWindows.status([freeze], at: Self.date("2026-11-28T12:00:00Z")))
        #expect(!saturday.open && saturday.closedBy == [freeze])
        #expect(saturday.next == Self.date("2026-11-29T21:00:00Z"), "opens Sunday 22:00 Berlin")
        let thursday = try #require(ChangeWindows.status([freeze], at: Self.date("2026-11-26T12:00:00Z")))
        #expect(thursday.open && thursday.next == Self.date("2026-11-27T21:00:00Z"), "closes Friday 22:00 Berlin")
        #expect(ChangeWindows.status([], at: Date()) == nil)
    }

    @Test func allowWindowsOpenOnlyInsideThemAndDenyWins() throws {
        let office = try Self.window(.allow, "0 9 * * MON-FRI", 8 * 3600)
        let night = try #require(ChangeWindows.status([office], at: Self.date("2026-11-25T20:00:00Z")))
        #expect(!night.open && night.closedBy == [office] && night.next == Self.date("2026-11-26T09:00:00Z"))
        let weekend = try #require(ChangeWindows.status([office], at: Self.date("2026-11-28T10:00:00Z")))
        #expect(!weekend.open && weekend.next == Self.date("2026-11-30T09:00:00Z"), "Monday")
        let day = try #require(ChangeWindows.status([office], at: Self.date("2026-11-25T10:00:00Z")))
        #expect(day.open && day.next == Self.date("2026-11-25T17:00:00Z"))

        let lunch = try Self.window(.deny, "0 12 * * *", 3600)
        let noon = try #require(ChangeWindows.status([office, lunch], at: Self.date("2026-11-25T12:30:00Z")))
        #expect(!noon.open && noon.closedBy == [lunch] && noon.next == Self.date("2026-11-25T13:00:00Z"))
        #expect(noon.state.closedBy == ["deny window \"0 12 * * *\" for 1h (UTC)"])
    }

    @Test func aWindowThatNeverOpensSaysSo() throws {
        let always = try Self.window(.deny, "* * * * *", 120)
        let status = try #require(ChangeWindows.status([always], at: Self.date("2026-11-25T12:00:00Z")))
        #expect(!status.open && status.next == nil)
        let started = Date()
        let yearly = try Self.window(.allow, "0 0 1 JAN *", 3600)
        let waiting = try #require(ChangeWindows.status([yearly], at: Self.date("2026-02-01T00:00:00Z")))
        #expect(waiting.next == Self.date("2027-01-01T00:00:00Z"))
        #expect(Date().timeIntervalSince(started) < 5, "a year ahead is searched in bounded time")
    }
}
