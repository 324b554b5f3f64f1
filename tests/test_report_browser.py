"""A real browser opens report.html from disk: banner, one calendar per table, no console errors.

Needs headless Chromium (`make browser` installs Debian's `chromium`). It is never skipped:
without a browser this test fails and says how to get one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from phasegate.report import write_report
from tests.fixtures.builders import repo_catalog

FIXTURES = Path(__file__).parent / "fixtures"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT_S = 60


def find_chromium() -> str:
    explicit = os.environ.get("PHASEGATE_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium not found on PATH (looked for: " + ", ".join(CANDIDATES)
                + "). Install it with `make browser` (apt-get install chromium) or point PHASEGATE_CHROMIUM at a "
                  "Chrome/Chromium binary; the report's browser test is never skipped.", pytrace=False)


def chromium(binary: str, url: str, *args: str, home: Path) -> subprocess.CompletedProcess:
    cmd = [binary, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
           "--hide-scrollbars", f"--user-data-dir={home / 'profile'}", "--enable-logging=stderr", "--v=0",
           *args, url]
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, env=env, check=False)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    reports = tmp_path_factory.mktemp("browser") / "reports"
    catalog = repo_catalog()
    out = {}
    for name in ("nogo", "go"):
        results = json.loads((FIXTURES / f"results_{name}.json").read_text())
        run_dir = reports / "phase3" / results["run_id"]
        run_dir.mkdir(parents=True)
        (run_dir / "results.json").write_text(json.dumps(results))
        out[name] = (write_report(run_dir, catalog=catalog), results)
    return out


@pytest.mark.parametrize("name", ["nogo", "go"])
def test_report_in_a_real_browser(rendered, name, tmp_path):
    binary = find_chromium()
    report, results = rendered[name]
    url = report.resolve().as_uri()
    dom = chromium(binary, url, "--dump-dom", home=tmp_path)
    assert dom.returncode == 0, f"chromium failed ({dom.returncode}): {dom.stderr[-2000:]}"
    html = dom.stdout
    assert f'data-verdict="{results["verdict"]}"' in html, "the GO/NO-GO banner is not in the DOM"
    assert re.search(r'<header id="banner"[^>]*>\s*<div class="verdict">' + re.escape(results["verdict"]), html)
    with_days = [t for t, body in results["tables"].items() if body.get("coverage", {}).get("days") is not None]
    calendars = re.findall(r'<svg class="cal"[^>]*data-table="([a-z0-9_]+)"', html)
    assert sorted(calendars) == sorted(with_days), "expected one calendar per table"
    assert "<script" not in html.lower(), "text from data became a script element"
    assert not console_errors(dom.stderr), "console errors:\n" + "\n".join(console_errors(dom.stderr))

    if name != "nogo":
        return  # one screenshot is enough; the DOM check above ran for every report
    shot = tmp_path / f"report_{name}.png"
    snap = chromium(binary, url, f"--screenshot={shot}", "--window-size=1400,3000", home=tmp_path)
    assert snap.returncode == 0 and shot.is_file() and shot.stat().st_size > 20_000, snap.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not console_errors(snap.stderr), "console errors:\n" + "\n".join(console_errors(snap.stderr))
    keep = os.environ.get("PHASEGATE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_index_in_a_real_browser(rendered, tmp_path):
    binary = find_chromium()
    index = next(iter(rendered.values()))[0].parents[2] / "index.html"
    dom = chromium(binary, index.resolve().as_uri(), "--dump-dom", home=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    runs = re.findall(r'<tr data-run="([^"]+)"', dom.stdout)
    assert runs == ["phase3-20260104T070000Z-c3d4", "phase3-20260104T060000Z-a1b2"]  # newest first
    assert not console_errors(dom.stderr), "console errors:\n" + "\n".join(console_errors(dom.stderr))
