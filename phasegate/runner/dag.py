"""A generic executor over a dependency graph (as SQLMesh's `concurrent_apply_to_dag`).

`apply_to_dag(deps, fn, workers=N)` calls `fn(node)` for every node on a bounded thread pool,
a node only after all of its dependencies have finished; independent nodes run side by side.
It knows nothing of tables or chunks. A node whose `fn` raises does not stop the others (its
exception is returned, its dependents still run: `fn` decides what a failed upstream means).

Ctrl-C / SIGTERM (KeyboardInterrupt in the main thread) set `cancel`, wait for the nodes in
flight (never half a node) and re-raise; the main thread waits with a timeout so the signal is
seen promptly (a signal does not wake a main thread blocked on a lock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from phasegate.errors import PhasegateError

SIGNAL_POLL_S = 0.5


def apply_to_dag(deps: Mapping[str, Iterable[str]], fn: Callable[[str], object], *, workers: int,
                 cancel: threading.Event | None = None, on_interrupt: Callable[[], object] | None = None,
                 thread_name: str = "phasegate") -> dict[str, BaseException]:
    """Run `fn` over the graph; returns {node: exception} for nodes whose `fn` raised."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    pending = {node: set(ups) & set(deps) for node, ups in deps.items()}
    finished: set[str] = set()
    failed: dict[str, BaseException] = {}
    running: dict[Future, str] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)
    try:
        while pending or running:
            for node in [n for n, ups in pending.items() if ups <= finished]:
                del pending[node]
                running[pool.submit(fn, node)] = node
            if not running:  # only a cycle leaves nodes that can never start
                raise PhasegateError(f"cannot order {sorted(pending)}: their dependencies form a cycle")
            try:
                done, _ = wait(list(running), timeout=SIGNAL_POLL_S, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                if cancel is not None:
                    cancel.set()
                if on_interrupt is not None:
                    on_interrupt()
                wait(list(running))
                raise
            for future in done:
                node = running.pop(future)
                exc = future.exception()
                if exc is not None:
                    failed[node] = exc
                finished.add(node)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return failed
