"""Aider: the analytics log (measured) and chat-history files (estimates), never both (LOG-FORMATS §3.13)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from desktop.ingest import run_scan
from desktop.sources.aider import Aider, AiderHistory, conf_value, known_folders, rounded_tokens
from desktop.sources.base import Environment
from desktop.store import Store
from tests.helpers import prices

USER = "4b1d0c2e-aaaa-4bbb-8ccc-000000000001"
HEADER = "2026-01-05 14:30:00"  # written in local time, no zone
HEADER_2 = "2026-01-06 09:00:00"


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def local_s(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").astimezone().timestamp())


def event(name: str, at: int, **props: object) -> str:
    return json.dumps({"event": name, "properties": props, "user_id": USER, "time": at})


def send(at: int, prompt: int, completion: int, cost: float, model: object = "anthropic/claude-sonnet-4-5") -> str:
    return event("message_send", at, main_model=model, weak_model="anthropic/claude-haiku-4-5", edit_format="diff",
                 prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion, cost=cost,
                 total_cost=cost)  # fmt: skip


def write(path: Path, lines: list[str], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines) + tail, encoding="utf-8")
    return path


def rows(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT is_estimate, ts_ms, input_uncached, output, cache_read, cache_write_5m, model, stored_cost, session_id, "
        "project_path FROM usage_event WHERE source = 'aider' ORDER BY is_estimate, ts_ms, input_uncached"
    ).fetchall()


def totals(store: Store) -> tuple[int, int, int, int]:
    """(events, input, output, estimates)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0), coalesce(sum(is_estimate), 0) "
        "FROM usage_event WHERE source = 'aider'"
    ).fetchone()


def scan(store: Store, env: Environment) -> None:
    run_scan(store, [Aider().for_archive(store.conn), AiderHistory().for_archive(store.conn)], env, prices())


def known_project(store: Store, folder: Path) -> None:
    """A session of another assistant ran in `folder`: the archive now knows that repository."""
    store.conn.execute("INSERT INTO session (source, session_id, project_path) VALUES ('claude', ?, ?)", (str(folder), str(folder)))


HISTORY_LINES = [
    "",
    f"# aider chat started at {HEADER}",
    "",
    "> /usr/bin/aider --model sonnet",
    "> Aider v0.86.1",
    "> Main model: anthropic/claude-sonnet-4-5 with diff edit format, prompt cache, infinite output",
    "> Weak model: anthropic/claude-haiku-4-5",
    "> Git repo: .git with 42 files",
    "",
    "#### rename the loader  ",
    "#### and fix its tests",
    "",
    "Sure, here is the change.",
    "",
    "> Tokens: 5.2k sent, 604 received. Cost: $0.02 message, $0.02 session.  ",
    "",
    "#### /add src/app.py",
    "",
    "> Tokens: 12k sent, 1.1k cache write, 30k cache hit, 1.1k received.",
    "Cost: $0.05 message, $0.07 session.  ",
    "",
    f"# aider chat started at {HEADER_2}",
    "",
    "> Models: gpt-4 with diff edit format, weak model gpt-3.5-turbo",
    "",
    "#### explain the cache",
    "",
    "> Tokens: 5,244 sent, 604 received. Cost: $0.02 request, $0.05 session.",
]


def test_rounded_counts_and_conf_values(tmp_path: Path) -> None:
    assert [rounded_tokens(v) for v in ("604", "5.2k", "9.9k", "12k", "5,244", "1.0k")] == [604, 5200, 9900, 12000, 5244, 1000]
    conf = tmp_path / ".aider.conf.yml"
    conf.write_text("model: sonnet\n# analytics-log: /nope\nanalytics-log: '~/it''s/log.jsonl'  \n"
                    "chat-history-file: \"C:\\\\Users\\\\dev\\\\h.md\"  # win\nnested:\n  analytics-log: /no\n")  # fmt: skip
    assert conf_value(conf, "analytics-log") == "~/it's/log.jsonl"
    assert conf_value(conf, "chat-history-file") == "C:\\Users\\dev\\h.md"
    assert conf_value(tmp_path / "missing.yml", "analytics-log") is None


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_analytics_log_from_home_conf(tmp_path: Path, platform: str) -> None:
    home, store = tmp_path / "home", Store.memory()
    (home / ".aider").mkdir(parents=True)
    (home / ".aider.conf.yml").write_text("analytics-log: ~/logs/aider.jsonl\n")
    t0 = 1_767_700_000
    log = write(home / "logs" / "aider.jsonl", [
        event("launched", t0),
        event("cli session", t0 + 1, main_model="anthropic/claude-sonnet-4-5"),
        event("message_send_starting", t0 + 5),
        send(t0 + 20, 9100, 640, 0.0369),
        "{not json",
        send(t0 + 80, 12000, 300, 0.0, model="anthropic/REDACTED"),
        send(t0 + 90, 0, 0, 0.0),  # nothing was sent: no call
        send(t0 + 95, 700, 20, 0.001, model=None),  # Analytics.event wrote str(None)
        event("exit", t0 + 100, reason="Completed main CLI coder.run"),
    ], tail='{"event": "message_send", "properties": {"prompt_tok')  # fmt: skip
    env = env_at(home, platform)
    assert [str(r) for r in Aider().roots(env)] == [str(home / ".aider"), str(home / "logs")]
    assert AiderHistory().roots(env) == [home / ".aider"]
    scan(store, env)
    assert totals(store) == (3, 9100 + 12000 + 700, 640 + 300 + 20, 0)
    session = f"log:{USER}:{t0}"
    assert rows(store) == [
        (0, (t0 + 20) * 1000, 9100, 640, 0, 0, "anthropic/claude-sonnet-4-5", 0.0369, session, None),
        (0, (t0 + 80) * 1000, 12000, 300, 0, 0, "anthropic/REDACTED", None, session, None),
        (0, (t0 + 95) * 1000, 700, 20, 0, 0, None, 0.001, session, None),
    ]
    redacted = store.conn.execute("SELECT price_status, computed_cost_usd FROM usage_event WHERE model LIKE '%REDACTED'").fetchone()
    assert redacted == ("unpriced", None)
    skipped = store.conn.execute("SELECT lines_skipped, bad_lines FROM source_file WHERE source = 'aider'").fetchone()
    assert skipped == (1, "[5]")
    # the half-written line is finished; a second run starts: read incrementally, nothing twice
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f'ens": 1000, "completion_tokens": 10, "cost": 0.004}}, "user_id": "{USER}", "time": {t0 + 99}}}\n')
        fh.write(event("launched", t0 + 500) + "\n" + send(t0 + 520, 2000, 50, 0.01) + "\n")
    scan(store, env)
    scan(store, env)
    assert totals(store) == (5, 9100 + 12000 + 700 + 1000 + 2000, 640 + 300 + 20 + 10 + 50, 0)
    assert store.conn.execute("SELECT count(DISTINCT session_id) FROM usage_event WHERE source = 'aider'").fetchone() == (2,)


def test_analytics_log_from_env_and_repo_conf(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    repo = tmp_path / "work" / "api"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    (repo / ".aider.conf.yml").write_text("analytics-log: .aider/analytics.jsonl\n")  # relative to the repository
    write(repo / ".aider" / "analytics.jsonl", [event("launched", 1_767_700_000), send(1_767_700_010, 100, 10, 0.0)])
    write(tmp_path / "elsewhere.jsonl", [event("launched", 1_767_800_000), send(1_767_800_010, 200, 20, 0.0)])
    known_project(store, repo / "src")  # a cwd inside the repository
    assert known_folders(store.conn) == [str(repo)]
    other = tmp_path / "work" / "web"
    other.mkdir()
    store.conn.execute("INSERT INTO project_cwd (cwd, toplevel, checked_ms) VALUES (?, ?, 0)", (str(other), str(other)))
    store.conn.execute("INSERT INTO project_cwd (cwd, checked_ms) VALUES (?, 0)", (str(tmp_path / "gone"),))
    assert known_folders(store.conn) == [str(repo), str(other)]
    store.settings.set("excluded_repos", [str(other)])
    assert known_folders(store.conn) == [str(repo)]
    env = env_at(home, "win32", AIDER_ANALYTICS_LOG=str(tmp_path / "elsewhere.jsonl"))
    scan(store, env)
    assert totals(store) == (2, 300, 30, 0)
    # the user adds a log path in settings: found on the next scan
    write(tmp_path / "third.jsonl", [send(1_767_900_010, 5, 1, 0.0)])
    store.settings.set("extra_paths", {"aider": [str(tmp_path / "third.jsonl")]})
    scan(store, env)
    assert totals(store) == (3, 305, 31, 0)


def test_chat_history_in_known_repositories_is_an_estimate(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    history = write(repo / ".aider.chat.history.md", HISTORY_LINES)
    env = env_at(home)
    scan(store, env)
    assert totals(store) == (0, 0, 0, 0)  # an unknown repository is never searched
    known_project(store, repo)
    scan(store, env)
    start, start_2 = local_s(HEADER) * 1000, local_s(HEADER_2) * 1000
    s1, s2 = (f"md:{key}" for key in _session_keys(store))
    assert rows(store) == [
        (1, start, 5200, 604, 0, 0, "anthropic/claude-sonnet-4-5", 0.02, s1, str(repo)),
        (1, start, 12000, 1100, 0, 0, "anthropic/claude-sonnet-4-5", 0.05, s1, str(repo)),  # no cache: "sent" has it
        (1, start_2, 5244, 604, 0, 0, "gpt-4", 0.02, s2, str(repo)),
    ]
    assert totals(store) == (3, 5200 + 12000 + 5244, 604 + 1100 + 604, 3)
    prompts = store.conn.execute("SELECT ts_ms, length, excerpt FROM prompt WHERE source = 'aider' ORDER BY id").fetchall()
    assert prompts == [(start, len("rename the loader\nand fix its tests"), "rename the loader and fix its tests"),
                       (start_2, len("explain the cache"), "explain the cache")]  # `/add` is a command, not a prompt
    with open(history, "a", encoding="utf-8") as fh:
        fh.write("\n> Tokens: 820 sent, 95 received. Cost: $0.0031 message, $0.05 session.  \n")
    scan(store, env)
    scan(store, env)
    assert totals(store) == (4, 5200 + 12000 + 5244 + 820, 604 + 1100 + 604 + 95, 4)


def _session_keys(store: Store) -> list[str]:
    found = store.conn.execute("SELECT DISTINCT session_id FROM usage_event WHERE source = 'aider' ORDER BY ts_ms").fetchall()
    return [row[0].removeprefix("md:") for row in found]


@pytest.mark.parametrize("log_first", [False, True])
def test_a_history_session_covered_by_the_analytics_log_counts_once(tmp_path: Path, log_first: bool) -> None:
    """The run of HEADER is in the analytics log (launched 3 s after the header): its two estimates go and
    its two measured rows stand; the run of HEADER_2 is not logged: its estimate stays."""
    home, store = tmp_path / "home", Store.memory()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".aider.chat.history.md", HISTORY_LINES)
    known_project(store, repo)
    t0 = local_s(HEADER) + 3
    log = [event("launched", t0), send(t0 + 40, 5244, 604, 0.0223), send(t0 + 95, 11_960, 1_080, 0.0512)]
    env = env_at(home)
    if log_first:  # the log is configured from the start: both files in one scan
        write(home / "aider.jsonl", log)
        (home / ".aider.conf.yml").write_text("analytics-log: ~/aider.jsonl\n")
        scan(store, env)
    else:  # estimates stored first, then the user adds the log in settings: the estimates it covers go
        scan(store, env)
        assert totals(store)[0] == 3
        write(home / "aider.jsonl", log)
        store.settings.set("extra_paths", {"aider": [str(home / "aider.jsonl")]})
        scan(store, env)
    assert totals(store) == (3, 5244 + 11_960 + 5244, 604 + 1_080 + 604, 1)
    assert [r[:4] for r in rows(store)] == [
        (0, (t0 + 40) * 1000, 5244, 604), (0, (t0 + 95) * 1000, 11_960, 1_080), (1, local_s(HEADER_2) * 1000, 5244, 604),
    ]  # fmt: skip
    scan(store, env)
    assert totals(store)[0] == 3


def test_a_run_launched_long_after_the_header_covers_nothing(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / ".aider.chat.history.md", HISTORY_LINES)
    known_project(store, repo)
    t0 = local_s(HEADER) + 3600  # another run, an hour later, logged; its own history is elsewhere
    write(home / "aider.jsonl", [event("launched", t0), send(t0 + 40, 100, 10, 0.0)])
    (home / ".aider.conf.yml").write_text("analytics-log: ~/aider.jsonl\n")
    scan(store, env_at(home))
    assert totals(store) == (4, 5200 + 12000 + 5244 + 100, 604 + 1100 + 604 + 10, 3)
