import Commands

await Reconcile.runMain()
