"""Privacy is an invariant: a full scan, every report and an app start never touch the network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.logs import at, claude_assistant, claude_file, claude_user, write_lines

RUNNER = Path(__file__).with_name("no_network.py")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               TZ="UTC", QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(RUNNER.parent.parent))  # fmt: skip
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    write_lines(claude_file(home, "s1"), [claude_user(at("2026-03-02"), "hello"),
                                          claude_assistant(at("2026-03-02", 5), "m1", "r1")])  # fmt: skip
    return home


@pytest.mark.parametrize("args", [
    ["scan"], ["report", "daily", "--json"], ["report", "sessions"], ["report", "projects"], ["sources", "--json"],
    ["doctor"], ["commits", "--json"], ["insights", "--json"],
])  # fmt: skip
def test_commands_never_touch_the_network(tmp_path: Path, home: Path, args: list[str]) -> None:
    data = tmp_path / "data"
    subprocess.run([sys.executable, str(RUNNER), "cli", "--data-dir", str(data), "scan"], env=_env(home), check=True,
                   capture_output=True)  # fmt: skip
    result = subprocess.run([sys.executable, str(RUNNER), "cli", "--data-dir", str(data), *args], env=_env(home),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert "network attempts" not in result.stderr


def test_the_app_starts_and_scans_without_the_network(tmp_path: Path, home: Path) -> None:
    result = subprocess.run([sys.executable, str(RUNNER), "app", str(tmp_path / "data"), "3"], env=_env(home),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "network attempts" not in result.stderr
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "data" / "archive.sqlite").exists()


def test_the_guard_itself_catches_a_connection(tmp_path: Path) -> None:
    """The hook must not be a test that cannot fail: an attempted connection is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 9), timeout=0.01)\nexcept OSError:\n    pass\n")
    code = (f"import runpy, sys; sys.argv = ['x', 'cli', '--version']; import tests.no_network as n; "
            f"sys.addaudithook(n._hook); runpy.run_path({str(probe)!r}); sys.exit(3 if n.ATTEMPTS else 0)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True)
    assert result.returncode == 3


def test_the_guard_reaches_spawned_children(tmp_path: Path) -> None:
    """The app's scan process and the parse workers are spawned interpreters: they are watched too."""
    result = subprocess.run([sys.executable, str(RUNNER), "probe-child"], env=_env(tmp_path), capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "socket.connect" in result.stderr and "pid " in result.stderr


def _isolated_and_traced(log: Path) -> list[str] | None:
    """`unshare -rn` (a network namespace with no interface: nothing can leave the machine) under
    `strace -f` (every socket and connect of every process and thread, C code included: what an
    audit hook cannot see, such as Qt's own networking). None where the machine cannot do it."""
    if not (shutil.which("unshare") and shutil.which("strace")):
        return None
    probe = subprocess.run(["unshare", "-rn", "strace", "-o", os.devnull, "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "-rn", "strace", "-f", "-qq", "-e", "trace=socket,connect,sendto", "-o", str(log)]


def _internet_calls(log: Path) -> list[str]:
    calls = log.read_text(errors="replace").splitlines()
    return [c for c in calls if "AF_INET" in c]  # AF_INET and AF_INET6; AF_UNIX (D-Bus, our IPC) is local


def test_scan_report_and_app_in_a_network_namespace_make_no_internet_socket(tmp_path: Path, home: Path) -> None:
    log = tmp_path / "strace.log"
    wrapper = _isolated_and_traced(log)
    if wrapper is None:
        pytest.skip("needs unshare and strace (packaging/system-deps.sh tray installs strace)")
    data = str(tmp_path / "data")
    for argv in (["cli", "--data-dir", data, "scan"], ["cli", "--data-dir", data, "report", "daily", "--json"],
                 ["cli", "--data-dir", data, "export", "--format", "pdf", "--output", str(tmp_path / "week.pdf")],
                 ["app", data, "3"]):  # fmt: skip
        result = subprocess.run([*wrapper, sys.executable, str(RUNNER), *argv], env=_env(home), capture_output=True,
                                text=True, timeout=180)  # fmt: skip
        assert result.returncode == 0, (argv, result.stderr[-2000:])
        assert "network attempts" not in result.stderr
        assert _internet_calls(log) == [], argv
    assert "socket(AF_UNIX" in log.read_text()  # the trace saw the app's local sockets: it was watching


def test_the_namespace_trace_itself_sees_a_connection(tmp_path: Path) -> None:
    log = tmp_path / "strace.log"
    wrapper = _isolated_and_traced(log)
    if wrapper is None:
        pytest.skip("needs unshare and strace")
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([*wrapper, sys.executable, "-c", code], check=True, timeout=60)
    assert any("connect(" in call for call in _internet_calls(log))
