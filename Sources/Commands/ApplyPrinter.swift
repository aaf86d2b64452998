import Model
import Rendering
import Service

/// Prints what an apply says as it happens (the plan first, then each change's line
/// as soon as it is recorded), then its summary; SIGINT or SIGTERM stop it after the
/// change in flight (exit 130 or 143).
struct ApplyPrinter {
    let output: OutputFormat
    let interrupts = Interrupts.shared

    init(_ output: OutputFormat) {
        self.output = output
        interrupts.install()
    }

    var control: ApplyControl {
        let output = self.output, style = Console.stdoutStyle, interrupts = self.interrupts
        return ApplyControl(shouldStop: { interrupts.received != nil }) { event in
            switch event {
            case .planned(let plan, let run):
                // Human and markdown readers see the plan first (a CI summary shows what was
                // applied); JSON shows the plan only when nothing is applied, else the report.
                if output != .json {
                    Console.out(PlanRenderer.render(plan, as: output, style: style, run: run))
                } else if !plan.refusals.isEmpty || !plan.hasChanges {
                    Console.out(PlanRenderer.render(plan, as: .json, run: run))
                }
            case .changed(let index, let plan, let outcome):
                guard output != .json else { return }
                let change = plan.changes[index]
                Console.out(ApplyRenderer.line(change.id, change.action, outcome, style: style))
            case .pinned(let pin):
                Console.out(Self.text(pin))
            }
        }
    }

    /// The report's summary; the apply's failure as the error; the exit code.
    func finish(_ report: ApplyReport?, run: RunReport) throws(ReconcileError) -> Int32 {
        guard let report else { return 0 }
        if output == .json {
            Console.out(ApplyRenderer.render(report, as: .json, run: run))
        } else {
            Console.out(ApplyRenderer.summary(report, style: Console.stdoutStyle))
        }
        if let failure = ApplyResult.failure(of: report) { throw failure }
        if report.stopped, let signal = interrupts.received { return Interrupts.exitCode(signal) }
        return 0
    }

    /// A rollback's pin, in words.
    static func text(_ pin: RollbackPin) -> String {
        let name = pin.environment
        guard let commit = pin.commit else {
            return "\(name) is already pinned to \(pin.to.prefix(7)); no new commit.\n\n"
        }
        let follows: String
        switch pin.replaced {
        case .branch, .current: follows = " It followed \(Service.followedText(pin.replaced)): release restores that."
        case .revision: follows = ""
        }
        return "Rolled back \(name) to \(pin.to.prefix(7)) in commit \(commit); promotion into \(name) is held until reconcile release --env \(name).\(follows)\n\n"
    }
}
