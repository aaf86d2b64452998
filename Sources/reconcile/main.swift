import Commands

Reconcile.runMain()
