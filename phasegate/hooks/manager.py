"""The one plugin manager: built-in plugins first, then the `phasegate` entry point group."""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pluggy

from phasegate.hooks import hookspecs
from phasegate.hooks.events import GateVerdictEvent, RunEndEvent

# Built-in behaviour, registered through the same hooks as third-party plugins.
DEFAULT_PLUGINS = ("phasegate.hooks.webhook",)

_manager: pluggy.PluginManager | None = None
# The backfill or run a gate belongs to (its verdict is also in the run's end event).
_current_run: contextvars.ContextVar[str | None] = contextvars.ContextVar("phasegate_run", default=None)


@contextlib.contextmanager
def within_run(run_id: str | None) -> Iterator[None]:
    """Gates run inside this block are part of run `run_id` (GateVerdictEvent.part_of)."""
    token = _current_run.set(run_id)
    try:
        yield
    finally:
        _current_run.reset(token)


def current_run() -> str | None:
    return _current_run.get()


def plugin_manager() -> pluggy.PluginManager:
    global _manager
    if _manager is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        for name in DEFAULT_PLUGINS:
            pm.register(importlib.import_module(name), name=name)
        try:
            pm.load_setuptools_entrypoints(hookspecs.PROJECT)
        except Exception as exc:  # noqa: BLE001 - a broken third-party plugin must not stop a gate
            warn(f"a phasegate plugin could not be loaded: {type(exc).__name__}: {exc}")
        _manager = pm
    return _manager


def warn(message: str) -> None:
    print(f"phasegate: warning: {' '.join(str(message).split())}", file=sys.stderr)


def _call(hook: str, **kwargs: Any) -> None:
    """Call every implementation; a plugin that raises is a warning, never a changed verdict.

    One by one (in pluggy's order), because pluggy stops a call at the first exception and one
    broken plugin must not silence the others."""
    caller = getattr(plugin_manager().hook, hook)
    for impl in reversed(caller.get_hookimpls()):  # pluggy's order: last registered first
        if impl.hookwrapper or impl.wrapper:
            continue  # notifications have no result to wrap
        try:
            impl.function(**{k: kwargs[k] for k in impl.argnames})
        except Exception as exc:  # noqa: BLE001
            warn(f"plugin {impl.plugin_name} failed in {hook}: {type(exc).__name__}: {exc}; the verdict stands")


def notify_gate_verdict(event: GateVerdictEvent, catalog: Any) -> None:
    _call("phasegate_gate_verdict", event=event, catalog=catalog)


def notify_run_end(event: RunEndEvent, catalog: Any) -> None:
    _call("phasegate_run_end", event=event, catalog=catalog)
