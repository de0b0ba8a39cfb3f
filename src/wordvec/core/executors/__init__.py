"""Where training rounds run. Each executor implements ``wordvec.core.schedule.Executor``:
``replicas``, ``run_round(work, stats)``, ``sync()``, ``close()``.

- ``threads.ThreadExecutor``: worker threads on this machine (the default);
- a GPU executor and a cluster executor plug in beside it, behind the same interface.

Importing this package imports no executor (and no Numba); each lives in its own module.
"""
