"""Notifications through hooks: the gate and the runner call pluggy hooks; the built-in webhook posts Slack JSON.

Tested against a real HTTP server on 127.0.0.1 (http.server in a thread). A failing webhook or a
failing plugin never changes a verdict or an exit code.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from phasegate.hooks import GateVerdictEvent, hookimpl, plugin_manager
from phasegate.hooks.webhook import gate_message
from tests.fixtures.worlds import coverage_gate, delete, make_world, with_gate_checks


class Receiver:
    """A webhook on the loopback address: keeps every JSON body; answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append({"content_type": self.headers.get("Content-Type"),
                                        **json.loads(self.rfile.read(length))})
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def world(tmp_path):
    return with_gate_checks(make_world(tmp_path))


def gate_cli(world, *extra):
    from phasegate.cli import run

    return run(["gate", "phase3", "--json", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml"),
                "--start-date", "2023-10-01", "--end-date", "2023-12-31", *extra])


def text_of(body) -> str:
    return json.dumps(body["blocks"])


def test_a_local_webhook_receives_the_gate_verdict_with_failing_tables_gaps_and_report(world, receiver, monkeypatch,
                                                                                        capsys):
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-12'")
    monkeypatch.setenv("PHASEGATE_WEBHOOK_URL", receiver.url)
    code = gate_cli(world)
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["verdict"] == "NO-GO"
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["content_type"] == "application/json"
    assert body["text"].startswith("phase3: NO-GO") and "team_summary" in body["text"]
    blocks = text_of(body)
    assert "*phase3: NO-GO*" in blocks and "`team_summary`" in blocks
    assert "2023-11-07..2023-11-12" in blocks  # the gap
    assert result["report"] in blocks and body["blocks"][-1]["type"] == "context"
    assert all(b["type"] in ("section", "context") for b in body["blocks"])


def test_the_catalog_setting_names_the_webhook_and_the_report_links_to_ci(world, receiver, monkeypatch, capsys):
    monkeypatch.delenv("PHASEGATE_WEBHOOK_URL", raising=False)
    delete(world, "team_summary", "game_date = DATE '2023-11-07'")
    catalog = world.root / "pipeline.toml"
    catalog.write_text(catalog.read_text().replace("[settings]\n", f'[settings]\nnotify_webhook_url = "{receiver.url}"\n'))
    monkeypatch.setenv("PHASEGATE_REPORT_BASE_URL", "https://ci.example.com/artifacts/reports/")
    code = gate_cli(world)
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["verdict"] == "NO-GO"
    [body] = receiver.bodies
    assert body["text"].startswith("phase3: NO-GO — failing tables: ") and "team_summary" in body["text"]
    link = f"https://ci.example.com/artifacts/reports/phase3/{result['run_id']}/report.html"
    assert f"<{link}|report {result['run_id']}>" in text_of(body)


@pytest.mark.parametrize("problem", ["http_500", "refused"])
def test_a_failing_webhook_never_changes_the_verdict_or_the_exit_code(world, monkeypatch, capsys, problem):
    delete(world, "team_summary", "game_date = DATE '2023-11-07'")
    failing = Receiver(status=500) if problem == "http_500" else None
    if failing is None:
        closed = Receiver()
        url = closed.url
        closed.close()  # nothing listens there any more: connection refused
    else:
        url = failing.url
    monkeypatch.setenv("PHASEGATE_WEBHOOK_URL", url)
    try:
        code = gate_cli(world)
    finally:
        if failing is not None:
            failing.close()
    captured = capsys.readouterr()
    assert code == 1 and json.loads(captured.out)["verdict"] == "NO-GO"
    warning = [line for line in captured.err.splitlines() if "the webhook" in line]
    assert len(warning) == 1 and warning[0].startswith("phasegate: warning:") and "the verdict" in warning[0]
    assert ("HTTP 500" in warning[0]) if problem == "http_500" else ("refused" in warning[0].lower())


class Recorder:
    """A third-party plugin, registered like one."""

    def __init__(self, fail: bool = False) -> None:
        self.gates: list[GateVerdictEvent] = []
        self.runs: list = []
        self.fail = fail

    @hookimpl
    def phasegate_gate_verdict(self, event, catalog):
        self.gates.append(event)
        if self.fail:
            raise RuntimeError("plugin bug")

    @hookimpl
    def phasegate_run_end(self, event, catalog):
        self.runs.append(event)


@pytest.fixture
def plugin():
    pm = plugin_manager()
    rec = Recorder()
    pm.register(rec, name="test-recorder")
    yield rec
    pm.unregister(name="test-recorder")


def test_the_builtin_notifier_is_registered_through_the_hooks():
    pm = plugin_manager()
    assert pm.get_plugin("phasegate.hooks.webhook") is not None
    names = {impl.plugin_name for impl in pm.hook.phasegate_gate_verdict.get_hookimpls()}
    assert "phasegate.hooks.webhook" in names


def test_a_plugin_that_raises_is_a_warning_and_the_others_still_run(world, plugin, monkeypatch, capsys, receiver):
    delete(world, "team_summary", "game_date = DATE '2023-11-07'")
    broken = Recorder(fail=True)
    plugin_manager().register(broken, name="test-broken")
    monkeypatch.setenv("PHASEGATE_WEBHOOK_URL", receiver.url)
    try:
        code = gate_cli(world)
    finally:
        plugin_manager().unregister(name="test-broken")
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert code == result["exit_code"] == 1 and result["verdict"] == "NO-GO"
    assert "plugin test-broken failed in phasegate_gate_verdict: RuntimeError: plugin bug" in captured.err
    assert [e.verdict for e in plugin.gates] == ["NO-GO"] and len(receiver.bodies) == 1


def test_the_runner_announces_the_run_end_with_its_gate_once(world, plugin, receiver, monkeypatch):
    from phasegate.runner.orchestrate import Options, backfill

    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-09'")
    monkeypatch.setenv("PHASEGATE_WEBHOOK_URL", receiver.url)

    def gate(phase, **kw):
        from phasegate.gate.run import gate_event
        from phasegate.hooks import notify_gate_verdict

        result = coverage_gate(phase, **kw)
        notify_gate_verdict(gate_event(result), world.catalog)  # what run_gate does
        return result

    outcome = backfill(Options(phase="phase3", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                               start="2023-10-01", end="2023-12-31", yes=True),
                       out=lambda line: None, gate_fn=gate)
    assert outcome.verdict == "GO"
    [run] = plugin.runs
    assert run.kind == "backfill" and run.verdict == "GO" and run.run_id == outcome.run_id and run.dates_done >= 3
    assert run.gate is not None and run.gate.verdict == "GO" and run.gate.part_of == outcome.run_id
    assert [g.part_of for g in plugin.gates] == [outcome.run_id]
    # the webhook tells the run once, its gate inside it
    [body] = receiver.bodies
    assert body["text"].startswith(f"backfill phase3: GO (run {outcome.run_id})")
    assert "*phase3: GO*" in text_of(body)


def test_slack_limits_hold_for_a_very_red_gate():
    failing = {f"table_{i}": "x" * 500 for i in range(40)}
    event = GateVerdictEvent(phase="phase3", run_id="r", verdict="NO-GO", exit_code=1,
                             window={"start": "2021-10-19", "end": "2026-01-03"}, warehouse="duckdb:///w",
                             failing_tables=failing, gaps={t: "2022-01-01..2022-02-01" for t in failing})
    message = gate_message(event)
    assert len(message["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")
    assert "more table(s) in the report" in json.dumps(message)


def test_a_webhook_setting_that_is_not_a_url_is_a_catalog_error(tmp_path):
    from phasegate.errors import CatalogError
    from phasegate.model.catalog import load_catalog
    from tests.fixtures.worlds import CATALOG

    path = tmp_path / "pipeline.toml"
    world = make_world(tmp_path)
    path = world.root / "pipeline.toml"
    path.write_text(CATALOG.replace("[settings]\n", '[settings]\nnotify_webhook_url = "hooks.slack.com/x"\n'))
    with pytest.raises(CatalogError, match="notify_webhook_url"):
        load_catalog(path)
