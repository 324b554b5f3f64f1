"""Hooks: what the gate and the runner announce, for notifiers and other plugins (pluggy).

As datasette does it: `hookspecs` declares the hooks, `manager` holds one plugin manager that
registers the built-in plugins (`webhook`, the Slack-compatible notifier) through the same hooks
a third-party plugin uses, and loads third-party plugins from the `phasegate` entry point group:

    [project.entry-points.phasegate]
    my_notifier = "my_package.phasegate_plugin"

    # my_package/phasegate_plugin.py
    from phasegate.hooks import hookimpl

    @hookimpl
    def phasegate_gate_verdict(event, catalog):
        ...

A plugin never changes a verdict or an exit code: whatever it raises is a warning on stderr.
"""

from phasegate.hooks.events import GateVerdictEvent, RunEndEvent
from phasegate.hooks.hookspecs import hookimpl
from phasegate.hooks.manager import current_run, notify_gate_verdict, notify_run_end, plugin_manager, within_run

__all__ = ["GateVerdictEvent", "RunEndEvent", "current_run", "hookimpl", "notify_gate_verdict", "notify_run_end",
           "plugin_manager", "within_run"]
