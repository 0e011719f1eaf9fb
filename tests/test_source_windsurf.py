"""Windsurf: found, never read (LOG-FORMATS §3.18); its Cline-family tasks are read by their own sources."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.ingest import run_scan
from desktop.reports.sources import sources_report
from desktop.sources.base import Environment
from desktop.sources.cline_family import ClineFamily
from desktop.sources.windsurf import Windsurf
from desktop.store import Store
from tests.helpers import prices


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def test_conversations_are_found_but_never_read(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    cascade = home / ".codeium" / "windsurf" / "cascade"
    cascade.mkdir(parents=True)
    (cascade / "0b6c2d3e-1111-4222-8333-444455556666.pb").write_bytes(b"\x0a\x10" + bytes(range(200)))
    (cascade / "notes.txt").write_text("not a conversation")
    (home / ".codeium" / "windsurf-next" / "cascade").mkdir(parents=True)
    (home / ".codeium" / "windsurf-next" / "cascade" / "a.pb").write_bytes(b"\x00")
    source = Windsurf()
    assert sorted(Path(p).name for p in source.discover(env_at(home), [])) == ["0b6c2d3e-1111-4222-8333-444455556666.pb", "a.pb"]
    summary = run_scan(store, [source], env_at(home), prices())
    assert summary.sources[0].files_found == 2 and summary.sources[0].lines_skipped == 0
    assert store.conn.execute("SELECT count(*) FROM usage_event").fetchone() == (0,)
    entry = sources_report([source], env_at(home), store)["sources"][0]
    assert (entry["id"], entry["found"], entry["files"], entry["events"]) == ("windsurf", True, 2, 0)
    assert "encrypted" in source.unreadable_reason and source.measured is False


def test_install_without_conversations_and_its_cline_tasks(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    env = env_at(home, "win32", APPDATA=str(tmp_path / "Roaming"))
    user = tmp_path / "Roaming" / "Windsurf" / "User"
    task = user / "globalStorage" / "saoudrizwan.claude-dev" / "tasks" / "t1" / "ui_messages.json"
    task.parent.mkdir(parents=True)
    task.write_text(json.dumps([{"ts": 1_767_610_001_234, "type": "say", "say": "api_req_started",
                                 "text": json.dumps({"tokensIn": 1500, "tokensOut": 320, "cacheReads": 28000,
                                                     "cacheWrites": 0, "cost": 0.0121, "apiProtocol": "anthropic"})}]))  # fmt: skip
    assert sources_report([Windsurf()], env, None)["sources"][0]["found"] is True  # the editor's data dir exists
    assert list(Windsurf().discover(env, [])) == []
    run_scan(store, [Windsurf(), ClineFamily("cline")], env, prices())
    assert store.conn.execute("SELECT source, input_uncached, cache_read, output FROM usage_event").fetchall() == [
        ("cline", 1500, 28000, 320)]
    assert home / ".codeium" / "windsurf" / "cascade" in Windsurf().roots(env_at(home, "darwin"))
    assert home / "Library" / "Application Support" / "Windsurf" in Windsurf().roots(env_at(home, "darwin"))
    assert home / ".config" / "Windsurf" in Windsurf().roots(env_at(home))
