"""The built-in notifier: posts each verdict as Slack-compatible JSON to a webhook.

The URL is PHASEGATE_WEBHOOK_URL (a CI secret), else the catalog's `notify_webhook_url`; with
neither nothing is sent. The message has `text` (the fallback every client shows) and `blocks`:
the verdict, the failing tables with their gaps, and the report. A webhook that fails (refused,
a timeout, a non-2xx answer) is a warning on stderr: the verdict and the exit code stand.
A gate run inside a backfill or run is told once, in the run's end message.
PHASEGATE_REPORT_BASE_URL (e.g. where CI publishes `reports/`) turns the report's path into a
link: BASE/PHASE/RUN_ID/report.html.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from phasegate.hooks.events import GateVerdictEvent, RunEndEvent
from phasegate.hooks.hookspecs import hookimpl
from phasegate.hooks.manager import warn

URL_ENV = "PHASEGATE_WEBHOOK_URL"
REPORT_BASE_ENV = "PHASEGATE_REPORT_BASE_URL"
TIMEOUT_S = 10.0
# Slack refuses a section longer than 3000 characters and more than 50 blocks.
MAX_SECTION = 2900
MAX_TABLES = 20
EMOJI = {"GO": ":large_green_circle:", "NO-GO": ":red_circle:", "ERROR": ":red_circle:"}


def webhook_url(catalog: Any) -> str | None:
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        return url
    settings = getattr(catalog, "settings", None)
    return getattr(settings, "notify_webhook_url", None) or None


def report_link(event: GateVerdictEvent) -> str | None:
    base = os.environ.get(REPORT_BASE_ENV, "").strip().rstrip("/")
    if base and event.run_id:
        return f"{base}/{event.phase}/{event.run_id}/report.html"
    return event.report


def _section(text: str) -> dict[str, Any]:
    if len(text) > MAX_SECTION:
        text = text[: MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def gate_blocks(event: GateVerdictEvent) -> list[dict[str, Any]]:
    s = event.summary or {}
    window = f"{event.window.get('start')}..{event.window.get('end')}"
    blocks = [_section(f"{EMOJI.get(event.verdict, ':large_yellow_circle:')} *{event.phase}: {event.verdict}*  "
                       f"({s.get('failed', 0)} failed, {s.get('error', 0)} error(s), {s.get('passed', 0)} passed of "
                       f"{s.get('total', 0)} cases; window {window}; {event.warehouse})")]
    lines: list[str] = []
    size = 0
    for table, reason in list(event.failing_tables.items())[:MAX_TABLES]:
        gaps = event.gaps.get(table)
        told = gaps and gaps.split(", ")[0] in reason  # date coverage's reason already names the gaps
        line = f"• `{table}`: {reason[:300]}" + (f"\n    missing: {gaps[:300]}" if gaps and not told else "")
        if size + len(line) > MAX_SECTION - 200:
            break  # Slack's limit per section: the rest is counted below
        lines.append(line)
        size += len(line) + 1
    if len(event.failing_tables) > len(lines):
        lines.append(f"… and {len(event.failing_tables) - len(lines)} more table(s) in the report")
    if lines:
        blocks.append(_section("*Failing tables*\n" + "\n".join(lines)))
    if event.error:
        blocks.append(_section(f"*Could not validate:* {event.error}"))
    link = report_link(event)
    if link:
        shown = f"<{link}|report {event.run_id}>" if link.startswith(("http://", "https://")) else f"`{link}`"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Report: {shown}"}]})
    return blocks


def gate_message(event: GateVerdictEvent) -> dict[str, Any]:
    failing = ", ".join(event.failing_tables) or "none"
    text = f"{event.phase}: {event.verdict} — failing tables: {failing}"
    return {"text": text, "blocks": gate_blocks(event)}


def run_message(event: RunEndEvent) -> dict[str, Any]:
    window = f"{event.window.get('start')}..{event.window.get('end')}"
    head = (f"{EMOJI.get(event.verdict, ':large_yellow_circle:')} *{event.kind} {event.phase}: {event.verdict}*  "
            f"(run {event.run_id}; {event.dates_done} table-date(s) written, {event.rows_written:,} rows; "
            f"window {window}; {event.warehouse})")
    blocks = [_section(head)]
    if event.failed:
        lines = [f"• `{table}`: {_failure(why)}" for table, why in list(event.failed.items())[:MAX_TABLES]]
        blocks.append(_section("*Failed*\n" + "\n".join(lines)))
    if event.message:
        blocks.append(_section(event.message))
    if event.retry:
        blocks.append(_section("*Retry with*\n" + "\n".join(f"`{cmd}`" for cmd in event.retry[:MAX_TABLES])))
    if event.gate is not None:
        blocks.extend(gate_blocks(event.gate))
    text = f"{event.kind} {event.phase}: {event.verdict} (run {event.run_id})"
    if event.gate is not None and event.gate.failing_tables:
        text += f" — failing tables: {', '.join(event.gate.failing_tables)}"
    return {"text": text, "blocks": blocks}


def _failure(facts: Any) -> str:
    """A table's failure record (phasegate.runner.outcome.Execution.failures) in one line."""
    if not isinstance(facts, dict):
        return str(facts)
    counts = ", ".join(f"{facts[k]} {k}" for k in ("done", "failed", "unbuildable", "skipped") if facts.get(k))
    error = " ".join(str(facts.get("error") or "").split())[:300]
    return f"{counts} of {facts.get('planned', 0)} dates" + (f": {error}" if error else "")


def post(url: str, message: dict[str, Any], what: str) -> bool:
    """POST the message; a failure is a warning (returns False), never an exception."""
    body = json.dumps(message, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "phasegate"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - the person's own URL
            response.read()
        return True
    except urllib.error.HTTPError as exc:
        problem = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problem = str(getattr(exc, "reason", None) or exc)
    warn(f"the webhook did not take the {what} ({problem}); the verdict and exit code stand")
    return False


@hookimpl
def phasegate_gate_verdict(event: GateVerdictEvent, catalog: Any) -> None:
    url = webhook_url(catalog)
    if url and event.part_of is None:  # a gate inside a backfill or run is told with the run's end
        post(url, gate_message(event), f"{event.phase} gate verdict")


@hookimpl
def phasegate_run_end(event: RunEndEvent, catalog: Any) -> None:
    url = webhook_url(catalog)
    if url:
        post(url, run_message(event), f"{event.kind} {event.phase} result")
