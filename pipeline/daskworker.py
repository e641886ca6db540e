"""Dask worker set-up, run in every worker process of the run's own LocalCluster as it starts
(a Dask preload module: `LocalCluster(preload=["pipeline.daskworker"])`).

Those workers are forked from the run's process (executors.py), so they inherit its signal
handlers; they get the local engine's worker defaults instead (parallel._worker_start): Ctrl-C
ignored (it reaches the whole process group, and the run alone decides how to stop), SIGTERM's
default action, and death with the run's process even if it is SIGKILLed.
Workers of a cluster the user started (`--scheduler`) are theirs and are left alone.
"""

from __future__ import annotations

import os
import threading

from .parallel import _worker_start


def dask_setup(worker) -> None:
    if threading.current_thread() is threading.main_thread():  # signals can only be set there
        _worker_start(os.getppid())
