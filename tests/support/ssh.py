"""The system's `ssh` client for the real-SSH tests: skipped with a clear reason where there is none, a
failure in CI (which installs it)."""

from __future__ import annotations

import os
import shutil

import pytest

SSH = shutil.which("ssh")


def require_ssh() -> str:
    if SSH is None:
        if os.environ.get("CI"):
            pytest.fail("no ssh client in CI: .ci/run installs openssh-client, so this must not happen")
        pytest.skip("no ssh client on this machine (install openssh-client to run the real-SSH tests)")
    return SSH


def without_agent() -> dict[str, str]:
    """This process's environment without the ssh agent: nothing of the machine's own keys is offered."""
    return {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "SSH_AGENT_PID")}
