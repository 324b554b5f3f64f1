"""Who signs off when --by is not given: the git user of this checkout, else the active gcloud account.

Never a guess beyond those two: without either, the caller asks for --by (exit 2).
"""

from __future__ import annotations

import shutil
import subprocess

from phasegate.errors import UsageError

GCLOUD_TIMEOUT_S = 10  # gcloud starts a Python interpreter; a hung credential helper must not hang sign-off


def _run(argv: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def git_user() -> str:
    """`Name <email>` (or the name alone) from `git config`; '' when git or user.name is missing."""
    if shutil.which("git") is None:
        return ""
    name = _run(["git", "config", "user.name"], 5)
    if not name:
        return ""
    email = _run(["git", "config", "user.email"], 5)
    return f"{name} <{email}>" if email else name


def gcloud_account() -> str:
    """The active gcloud account; '' when gcloud is not on PATH, fails, or says (unset)."""
    if shutil.which("gcloud") is None:
        return ""
    account = _run(["gcloud", "config", "get-value", "account"], GCLOUD_TIMEOUT_S)
    return "" if account in ("", "(unset)") else account.splitlines()[-1].strip()


def default_signer() -> str:
    who = git_user() or gcloud_account()
    if not who:
        raise UsageError("who is signing? no git user.name and no active gcloud account: give --by NAME")
    return who
