"""Offscreen Qt, no network, and a throwaway home for every test."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench` and `tests.logs` importable

_real_socket = socket.socket


class _GuardedSocket(_real_socket):
    """Privacy is an invariant: any internet socket in a test is a failure (local IPC stays allowed)."""

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None) -> None:
        if family in (socket.AF_INET, socket.AF_INET6) or (family == -1 and fileno is None):
            raise RuntimeError("tests must not open network sockets (Tokenmirror never talks to the network)")
        super().__init__(family, type, proto, fileno)


socket.socket = _GuardedSocket  # type: ignore[misc]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    return home
