"""The command line of DESIGN §6: exit codes, one-line errors, JSON keys, local-day bucketing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop.cli import main
from tests.logs import at, claude_assistant, claude_file, midnight_history, write_lines

ROW_KEYS = {"date", "source", "model", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
            "reasoning_tokens", "total_tokens", "cost_usd", "events", "is_estimate"}  # fmt: skip


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def history(isolated_home: Path) -> Path:
    return midnight_history(isolated_home)


def test_bad_arguments_exit_2_with_one_line(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    for args in (["report", "daily", "--since", "not-a-date"], ["report", "daily", "--tz", "Mars/Olympus"],
                 ["report", "hourly"], ["frobnicate"]):  # fmt: skip
        code, out, err = run(capsys, "--data-dir", str(tmp_path), *args)
        assert code == 2, args
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_report_before_any_scan_is_empty(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "none"), "report", "daily", "--json")
    assert code == 0 and json.loads(out)["rows"] == []
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "none"), "report", "daily")
    assert "No usage in this range" in out


def test_daily_json_by_model_in_utc(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path) -> None:
    assert run(capsys, "--data-dir", str(tmp_path), "scan")[0] == 0
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--json", "--by-model", "--tz", "UTC")
    data = json.loads(out)
    assert code == 0 and all(set(r) >= ROW_KEYS for r in data["rows"])
    got = [(r["date"], r["source"], r["model"], r["input_tokens"], r["cache_creation_tokens"], r["cache_read_tokens"],
            r["output_tokens"], r["reasoning_tokens"], r["events"]) for r in data["rows"]]  # fmt: skip
    assert got == [
        ("2026-01-05", "claude", "claude-sonnet-4-5-20250929", 10, 20, 30, 5, 0, 1),
        ("2026-01-05", "codex", "gpt-5-codex", 60, 0, 40, 12, 4, 1),
        ("2026-01-06", "claude", "claude-opus-4-6", 1, 0, 0, 2, 0, 1),
    ]
    assert data["totals"]["total_tokens"] == 10 + 20 + 30 + 5 + 60 + 40 + 12 + 1 + 2
    assert all(r["cost_usd"] > 0 for r in data["rows"])


@pytest.mark.parametrize("tz,days", [("Asia/Tokyo", ["2026-01-06"]), ("America/Los_Angeles", ["2026-01-05"]),
                                     ("UTC", ["2026-01-05", "2026-01-06"])])  # fmt: skip
def test_days_bucket_in_the_requested_zone(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path, tz: str,
                                           days: list[str]) -> None:  # fmt: skip
    run(capsys, "--data-dir", str(tmp_path), "scan", "--source", "claude")
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--json", "--tz", tz)
    assert [r["date"] for r in json.loads(out)["rows"]] == days


def test_since_until_are_local_dates(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path) -> None:
    run(capsys, "--data-dir", str(tmp_path), "scan")
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--json", "--tz", "UTC", "--since", "2026-01-06")
    assert [(r["date"], r["events"]) for r in json.loads(out)["rows"]] == [("2026-01-06", 1)]
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--json", "--tz", "UTC", "--until", "2026-01-05",
                    "--source", "codex")  # fmt: skip
    assert [(r["source"], r["events"]) for r in json.loads(out)["rows"]] == [("codex", 1)]


def test_week_start_is_a_setting(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path) -> None:
    run(capsys, "--data-dir", str(tmp_path), "scan", "--source", "claude")
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "weekly", "--json", "--tz", "UTC")
    assert {r["date"] for r in json.loads(out)["rows"]} == {"2026-01-05"}  # Monday
    conn = sqlite3.connect(tmp_path / "archive.sqlite")
    conn.execute("INSERT INTO setting VALUES ('week_start', '\"sunday\"')")
    conn.commit()
    conn.close()
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "weekly", "--json", "--tz", "UTC")
    assert {r["date"] for r in json.loads(out)["rows"]} == {"2026-01-04"}


def test_text_tables_and_other_reports(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path) -> None:
    run(capsys, "--data-dir", str(tmp_path), "scan")
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--tz", "UTC")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["date", "source", "input"]
    assert lines[-1].startswith("total") and "$" in lines[-1]
    for kind in ("sessions", "projects", "monthly"):
        code, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", kind, "--json")
        assert code == 0 and json.loads(out)["totals"]["events"] == 3, kind
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "sessions", "--json")
    assert sorted(r["session_id"] for r in json.loads(out)["rows"]) == ["0199a213-81c0-7800-8aa1-bbab2a035a55", "s1"]


def test_unpriced_model_is_null_never_zero(capsys: pytest.CaptureFixture, tmp_path: Path, isolated_home: Path) -> None:
    write_lines(claude_file(isolated_home, "s1"), [claude_assistant(at("2026-01-05"), "m1", "r1", model="acme-secret-1")])
    run(capsys, "--data-dir", str(tmp_path), "scan")
    _, out, _ = run(capsys, "--data-dir", str(tmp_path), "report", "daily", "--json", "--by-model")
    row = json.loads(out)["rows"][0]
    assert row["cost_usd"] is None and row["total_tokens"] == 15
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "doctor")
    assert "acme-secret-1" in out


def test_sources_and_doctor(capsys: pytest.CaptureFixture, tmp_path: Path, history: Path) -> None:
    with open(claude_file(history, "s1"), "ab") as fh:
        fh.write(b"{broken\n")
    run(capsys, "--data-dir", str(tmp_path), "scan")
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "sources", "--json")
    found = {s["id"]: (s["found"], s["files"], s["events"], s["skipped_lines"], s["measured"]) for s in json.loads(out)["sources"]}
    assert found["claude"] == (True, 1, 2, 1, True) and found["codex"] == (True, 1, 1, 0, True)
    assert found["gemini"] == (False, 0, 0, 0, True)  # every known assistant is listed, found or not
    assert "gemini-legacy" not in found  # a second reader of one assistant is not a second assistant
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "doctor", "--json")
    report = json.loads(out)
    assert report["integrity"] == "ok" and report["skipped_lines"][0]["line_numbers"] == [3]


def test_newer_archive_is_one_clear_error(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    run(capsys, "--data-dir", str(tmp_path), "scan")
    conn = sqlite3.connect(tmp_path / "archive.sqlite")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('tokenmirror', 'm999_future', '2030')")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "report", "daily")
    assert code == 1 and "newer Tokenmirror" in err and "Traceback" not in err


def test_the_app_without_a_display_is_one_clear_line(capsys: pytest.CaptureFixture, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import sys

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "app")
    assert code == 1 and "no display" in err and "Traceback" not in err
