"""The built bundle runs on its own: --version, `scan` of fixture logs, `report daily --json` with the
right numbers, and the tray app starting offscreen.

Skipped unless a bundle exists (`make package` builds dist/tokenmirror/) or TOKENMIRROR_PACKAGE_TEST=1,
which makes a missing bundle a failure (for CI after the build). TOKENMIRROR_BUNDLE names another
bundle folder, e.g. one unpacked from the release archive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from desktop import __version__
from desktop.cli import main as cli_main
from tests.logs import at, claude_assistant, claude_file, midnight_history, write_lines

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = Path(os.environ.get("TOKENMIRROR_BUNDLE") or ROOT / "dist" / "tokenmirror")
EXE = BUNDLE / ("tokenmirror.exe" if sys.platform == "win32" else "tokenmirror")
REQUIRED = os.environ.get("TOKENMIRROR_PACKAGE_TEST") == "1"

needs_bundle = pytest.mark.skipif(not EXE.is_file() and not REQUIRED, reason="no bundle built (make package)")


def _load_build():
    """packaging/ is a folder of scripts, not a package: load build.py by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tokenmirror_build", ROOT / "packaging" / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bundled(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The bundle with the test's environment: a temporary HOME (conftest), offscreen Qt."""
    assert EXE.is_file(), f"no bundle at {EXE}: run `make package`"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.fixture
def logs(isolated_home: Path) -> Path:
    return midnight_history(isolated_home)


@needs_bundle
def test_version() -> None:
    done = bundled("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"tokenmirror {__version__}\n"


@needs_bundle
def test_scan_and_daily_report(logs: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    data = str(tmp_path / "bundle-archive")
    scan = bundled("--data-dir", data, "scan")
    assert scan.returncode == 0, scan.stderr
    assert "+3 events in the archive" in scan.stdout
    report = bundled("--data-dir", data, "report", "daily", "--json", "--by-model", "--tz", "UTC")
    assert report.returncode == 0, report.stderr
    got = json.loads(report.stdout)
    rows = [(r["date"], r["source"], r["model"], r["input_tokens"], r["cache_creation_tokens"], r["cache_read_tokens"],
             r["output_tokens"], r["reasoning_tokens"], r["events"]) for r in got["rows"]]  # fmt: skip
    assert rows == [
        ("2026-01-05", "claude", "claude-sonnet-4-5-20250929", 10, 20, 30, 5, 0, 1),
        ("2026-01-05", "codex", "gpt-5-codex", 60, 0, 40, 12, 4, 1),
        ("2026-01-06", "claude", "claude-opus-4-6", 1, 0, 0, 2, 0, 1),
    ]
    assert got["totals"]["total_tokens"] == 10 + 20 + 30 + 5 + 60 + 40 + 12 + 1 + 2
    assert all(r["cost_usd"] and r["cost_usd"] > 0 for r in got["rows"])  # the bundled price table was found
    # the same logs through this source tree give the same document, costs included
    source_data = str(tmp_path / "source-archive")
    assert cli_main(["--data-dir", source_data, "scan"]) == 0
    capsys.readouterr()
    assert (
        cli_main(["--data-dir", source_data, "report", "daily", "--json", "--by-model", "--tz", "UTC"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == got


@needs_bundle
def test_resources_are_bundled() -> None:
    internal = BUNDLE / "_internal" / "resources"
    for relative in ("prices/litellm_prices.json", "icons/tokenmirror.svg", "icons/tray-idle-template.svg",
                     "linux/io.github.tokenmirror.Tokenmirror.desktop"):  # fmt: skip
        assert (internal / relative).is_file(), relative


@needs_bundle
def test_tray_app_starts_offscreen(tmp_path: Path, isolated_home: Path) -> None:
    """Qt, its plugins and pyqtgraph load from the bundle: the app's first scan (in its own process,
    spawned from the frozen executable) imports a call."""
    write_lines(claude_file(isolated_home, "s1"), [claude_assistant(at("2026-03-02"), "m1", "r1")])
    data = tmp_path / "app-archive"
    log = data / "logs" / "tokenmirror.log"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([str(EXE), "--data-dir", str(data), "app"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # a separate process gives no signal to wait on: poll its log, the way a user would look
        while "scan: " not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert app.poll() is None, (
                f"the app exited with {app.returncode}: {app.stdout.read() if app.stdout else ''}"
            )
            assert time.monotonic() < deadline, "the app did not reach its first scan within 60 s"
            time.sleep(0.1)
    finally:
        app.terminate()
        try:
            app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text
    assert "scan: +1 events" in text


@needs_bundle
def test_release_archive_starts_with_the_executable() -> None:
    if "TOKENMIRROR_BUNDLE" in os.environ:
        pytest.skip("an outside bundle has no archive next to it")
    archives = sorted(BUNDLE.parent.glob(f"tokenmirror-{__version__}-*.tar.gz"))
    if not archives:
        pytest.skip("no release archive (packaging/build.py writes it)")
    with tarfile.open(archives[-1], "r:gz") as tar:
        tar.next()  # the folder itself
        first = tar.next()
    assert first is not None and first.name == f"tokenmirror/{EXE.name}"
    assert first.mode & 0o111 and first.uid == 0 and first.uname == ""


# --- the build script's own pieces (no bundle needed) ---------------------------------------------
@pytest.mark.parametrize("system,machine,tag", [
    ("linux", "x86_64", "linux-x86_64"), ("darwin", "arm64", "macos-arm64"), ("win32", "AMD64", "windows-amd64"),
])  # fmt: skip
def test_platform_tag(system: str, machine: str, tag: str) -> None:
    assert _load_build().platform_tag(system, machine) == tag


def test_pack_puts_the_executable_first_and_clears_owners(tmp_path: Path) -> None:
    build = _load_build()
    bundle = tmp_path / "tokenmirror"
    (bundle / "_internal" / "resources").mkdir(parents=True)
    (bundle / "_internal" / "resources" / "a.json").write_text("{}")
    build.executable(bundle).write_text("#!/bin/sh\n")
    build.executable(bundle).chmod(0o755)
    archive = tmp_path / "tokenmirror-9.9.9-linux-x86_64.tar.gz"
    build.pack(bundle, archive)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members[:2]] == ["tokenmirror", f"tokenmirror/{build.executable(bundle).name}"]
    assert {m.name for m in members} >= {"tokenmirror/_internal/resources/a.json"}
    assert members[1].mode & 0o111 and all(m.uid == 0 and m.uname == "" for m in members)
    assert not list(tmp_path.glob("*.partial"))
