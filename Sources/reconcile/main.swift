import Commands
#if canImport(CMimalloc)
import CMimalloc

// mimalloc replaces malloc for the whole process once it is linked (see Package.swift);
// asking its version makes the executable need it, so the linker never drops it.
_ = mi_version()
#endif

await Reconcile.runMain()
