"""Cursor's dashboard CSV: measured rows that replace the local lower bound for their span (LOG-FORMATS §3.15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.cli import main
from desktop.cursor_csv import import_cursor_csv
from desktop.errors import KnownError
from desktop.ingest import run_scan
from desktop.sources.cursor import Cursor
from desktop.store import Store
from tests.helpers import prices
from tests.test_source_cursor import bubble, env_at, global_db, make_db

HEADER = "Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost"
ROWS = [
    "2026-05-20T16:02:11.000Z,Included,claude-4.5-sonnet,No,14200,12000,95000,1800,111000,0.21",  # LOG-FORMATS example
    '2026-05-20T18:30:00.000Z,Usage-based,gpt-5,Yes,"3,000","3,000",0,700,3700,$1.05',
    '2026-05-20T18:31:00.000Z,"Errored, No Charge",claude-4.5-sonnet,No,0,0,0,0,0,0',  # no tokens: not a call
    "2026-05-21T09:00:00.000Z,Included,gpt-5,No,500,400,0,20,520,Included",
    "2026-05-21T09:00:00.000Z,Included,gpt-5,No,500,400,0,20,520,Included",  # the same row twice: two calls
    "yesterday,Included,gpt-5,No,1,1,0,1,2,0",  # bad date
    "2026-05-21T10:00:00.000Z,Included,gpt-5,No,many,1,0,1,2,0",  # bad count
    "2026-05-22T08:00:00.000Z,Included,auto,No,100,100,0,10",  # short row: no Total Tokens nor Cost (read)
]


def write_csv(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\r\n".join([header, *lines]) + "\r\n", encoding="utf-8")
    return path


def csv_rows(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT ts_ms, model, input_uncached, cache_read, cache_write_5m, output, stored_cost, is_estimate FROM usage_event "
        "WHERE source = 'cursor' AND is_estimate = 0 ORDER BY ts_ms, dedup_key"
    ).fetchall()


def local(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute(
        "SELECT dedup_key FROM usage_event WHERE source = 'cursor' AND is_estimate = 1 ORDER BY ts_ms")]  # fmt: skip


def local_db(home: Path) -> Path:
    """Local bubbles before, inside and after the CSV's span (2026-05-20T16:02:11Z .. 2026-05-22T08:00:00Z)."""
    path = global_db(home)
    make_db(path, {
        "bubbleId:c1:a": bubble("before", "a", "2026-05-19T12:00:00.000Z", (900, 90), "gpt-5"),
        "bubbleId:c1:b": bubble("inside", "b", "2026-05-20T16:02:11.000Z", (1000, 100), "claude-4.5-sonnet"),
        "bubbleId:c1:c": bubble("inside2", "c", "2026-05-21T12:00:00.000Z", (50, 5), "gpt-5"),
        "bubbleId:c1:d": bubble("after", "d", "2026-05-23T12:00:00.000Z", (70, 7), "gpt-5"),
    })  # fmt: skip
    return path


def test_import_replaces_the_local_lower_bound_for_its_span(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    path = local_db(home)
    run_scan(store, [Cursor()], env_at(home), prices())
    assert local(store) == ["bubble:before", "bubble:inside", "bubble:inside2", "bubble:after"]
    summary = import_cursor_csv(store, write_csv(tmp_path / "usage-events.csv", ROWS), prices())
    assert (summary.rows, summary.added, summary.already, summary.empty, summary.bad_lines) == (8, 5, 0, 1, [7, 8])
    assert (summary.first_ms, summary.last_ms, summary.replaced_local) == (1_779_292_931_000, 1_779_436_800_000, 2)
    assert summary.line() == ("imported usage-events.csv (2026-05-20 to 2026-05-22 UTC): 5 new rows, 0 already in the "
                              "archive; 2 local lower-bound rows replaced; 1 row without tokens skipped; 2 rows "
                              "unreadable (lines 7, 8)")  # fmt: skip
    assert csv_rows(store) == [
        (1_779_292_931_000, "claude-4.5-sonnet", 12_000, 95_000, 2_200, 1_800, 0.21, 0),  # cache write 14,200 - 12,000
        (1_779_301_800_000, "gpt-5", 3_000, 0, 0, 700, 1.05, 0),
        (1_779_354_000_000, "gpt-5", 400, 0, 100, 20, None, 0),
        (1_779_354_000_000, "gpt-5", 400, 0, 100, 20, None, 0),
        (1_779_436_800_000, "auto", 100, 0, 0, 10, None, 0),
    ]
    assert local(store) == ["bubble:before", "bubble:after"]  # the span now has measured rows only
    totals = store.conn.execute(
        "SELECT sum(input_uncached + cache_read + cache_write_5m + output) FROM usage_event WHERE source = 'cursor'")
    assert totals.fetchone() == (990 + 77 + 111_000 + 3_700 + 520 + 520 + 110,)
    # importing the same file again adds nothing; a later scan of state.vscdb adds no local row inside the span
    again = import_cursor_csv(store, tmp_path / "usage-events.csv", prices())
    assert (again.added, again.already, again.replaced_local) == (0, 5, 0)
    make_db(path, {"bubbleId:c1:e": bubble("new-inside", "e", "2026-05-21T13:00:00.000Z", (10, 1), "gpt-5"),
                   "bubbleId:c1:f": bubble("new-after", "f", "2026-05-24T13:00:00.000Z", (20, 2), "gpt-5")})  # fmt: skip
    run_scan(store, [Cursor()], env_at(home), prices())
    run_scan(store, [Cursor()], env_at(home), prices())
    assert local(store) == ["bubble:before", "bubble:after", "bubble:new-after"]
    assert len(csv_rows(store)) == 5


def test_an_overlapping_export_adds_only_its_new_rows(tmp_path: Path) -> None:
    store = Store.memory()
    import_cursor_csv(store, write_csv(tmp_path / "may.csv", ROWS[:2]), prices())
    wider = import_cursor_csv(store, write_csv(tmp_path / "wider.csv", ROWS[:5]), prices())
    assert (wider.added, wider.already) == (2, 2)
    assert len(csv_rows(store)) == 4


def test_the_older_export_without_kind(tmp_path: Path) -> None:
    store = Store.memory()
    old = "Date,Model,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,Total Tokens,Cost,Cost to you"
    summary = import_cursor_csv(store, write_csv(tmp_path / "old.csv", ["2025-02-05,gpt-4o,10,8,2,5,17,$0.50,$0.00"], old),
                                prices())  # fmt: skip
    assert summary.added == 1
    assert csv_rows(store) == [(1_738_756_800_000, "gpt-4o", 8, 2, 2, 5, 0.5, 0)]  # a bare date: noon UTC


@pytest.mark.parametrize("content, message", [
    (None, "is not a file"),
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\0\0\0IHDR", "binary"),
    (b"Date,Model,Tokens\n2026-05-20,gpt-5,10\n", "no column 'Input (w/ Cache Write)'"),
    (HEADER.encode() + b"\n", "has no usage rows"),
    (HEADER.encode() + b"\nnot-a-date,Included,gpt-5,No,1,1,0,1,2,0\n", "no readable usage rows (bad lines 2)"),
])  # fmt: skip
def test_a_wrong_file_is_one_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "file.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KnownError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_cursor_csv(Store.memory(), path, prices())


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_import_cursor_csv(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv_path = write_csv(tmp_path / "usage.csv", ROWS[:2])
    code, out, err = run(capsys, "--data-dir", str(data), "import", "cursor-csv", str(csv_path))
    assert code == 0, err
    assert out.startswith("imported usage.csv (2026-05-20 to 2026-05-20 UTC): 2 new rows, 0 already")
    assert run(capsys, "import", "cursor-csv", str(csv_path), "--data-dir", str(data))[1].count("0 new rows, 2 already") == 1
    code, out, err = run(capsys, "--data-dir", str(data), "report", "daily", "--json", "--tz", "UTC")
    assert code == 0 and '"is_estimate": false' in out
    for args in (["import"], ["import", "cursor-csv"], ["import", "cline-json", "x"]):
        code, _, err = run(capsys, "--data-dir", str(data), *args)
        assert code == 2 and len(err.strip().splitlines()) == 1, args
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    for target in (tmp_path / "missing.csv", bad):
        code, out, err = run(capsys, "--data-dir", str(tmp_path / "other"), "import", "cursor-csv", str(target))
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert err.startswith("tokenmirror: error: ")
        if target.name == "missing.csv":
            assert not (tmp_path / "other").exists()  # a typo creates no archive
