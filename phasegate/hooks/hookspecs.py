"""The hooks Phasegate calls. Each receives plain event records (phasegate.hooks.events) and the catalog."""

from __future__ import annotations

import pluggy

PROJECT = "phasegate"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def phasegate_gate_verdict(event, catalog):
    """A gate run ended with a verdict (GO, NO-GO, ERROR, ...): `event` is a GateVerdictEvent."""


@hookspec
def phasegate_run_end(event, catalog):
    """A backfill or run ended (not a dry run): `event` is a RunEndEvent, with its gate's verdict if one ran."""
