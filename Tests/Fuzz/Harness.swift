// libFuzzer's entry for one fuzz target (RECONCILE_FUZZ_TARGET: a name in
// FuzzTargets.all, e.g. manifest or deltalog), compiled by scripts/fuzz with -sanitize=fuzzer against the
// ReconcileFuzzing library. Not part of the package's targets.
import Foundation
import FuzzTargets

let target = FuzzTargets.all[ProcessInfo.processInfo.environment["RECONCILE_FUZZ_TARGET"] ?? ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let target else { fatalError("set RECONCILE_FUZZ_TARGET to one of \(FuzzTargets.all.keys.sorted())") }
    target(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
