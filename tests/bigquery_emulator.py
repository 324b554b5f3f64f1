"""Start and stop bqemulator for the end-to-end tests (imported by tests/test_bigquery_*.py).

The emulator lives in its own virtual environment (`.phasegate/emulator-venv`, made by
`make emulator`, or here if missing) because it pins an older sqlglot. It runs as a
subprocess on 127.0.0.1, on a free port, through tests/emulator/launch.py (offline start-up).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".phasegate" / "emulator-venv"
PYTHON = VENV / "bin" / "python"
LAUNCHER = ROOT / "tests" / "emulator" / "launch.py"
REQUIREMENTS = ROOT / "tests" / "emulator" / "requirements.txt"
START_TIMEOUT_S = 60


def ensure_venv() -> Path:
    """The emulator's python, creating its venv first if `make emulator` has not."""
    stamp = VENV / ".installed-stamp"
    if PYTHON.exists() and stamp.exists():
        return PYTHON
    if not PYTHON.exists():
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                    str(REQUIREMENTS)], check=True)
    stamp.touch()
    return PYTHON


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.grpc_port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def url(self, project: str) -> str:
        return f"bigquery://{project}?api_endpoint={self.endpoint}"

    def start(self) -> Emulator:
        python = ensure_venv()
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        self.process = subprocess.Popen(
            [str(python), str(LAUNCHER), "--rest-host", "127.0.0.1", "--rest-port", str(self.port),
             "--grpc-host", "127.0.0.1", "--grpc-port", str(self.grpc_port), "--ephemeral",
             "--log-level", "warning"],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bqemulator exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/bigquery/v2/projects/ready/datasets", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"bqemulator did not answer within {START_TIMEOUT_S}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()
