"""A big first import writes without the secondary indexes and builds them at its end; stopped or
killed before that, the archive still answers right and the next scan builds them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.corpus import generate
from desktop.ingest import scan
from desktop.store import Store
from desktop.store.indexes import DEFERRABLE_INDEXES, ensure_indexes
from desktop.sources import SOURCES
from tests.helpers import env_for, prices, totals
from tests.helpers import scan as scan_all


def index_sql(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    rows = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
    conn.close()
    return rows


@pytest.fixture
def first_import_is_big(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("desktop.ingest.PARALLEL_MIN_BYTES", 1)  # any first import counts as big
    monkeypatch.setenv("TOKENMIRROR_WORKERS", "1")


def test_the_deferred_statements_are_the_migrations_own(tmp_path: Path) -> None:
    Store.open(tmp_path / "a.sqlite").close()
    created = index_sql(tmp_path / "a.sqlite")
    assert {name: sql.replace("IF NOT EXISTS ", "") for name, sql in DEFERRABLE_INDEXES.items()} == {
        name: created[name] for name in DEFERRABLE_INDEXES
    }


def test_a_first_import_ends_with_every_index_and_the_same_rows(tmp_path: Path, first_import_is_big: None,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    home = tmp_path / "home"
    generate(home, 2_000_000, seed=11)
    Store.open(tmp_path / "plain.sqlite").close()
    migrated = index_sql(tmp_path / "plain.sqlite")
    store = Store.open(tmp_path / "deferred.sqlite")
    seen_missing = []
    steps = scan(store, SOURCES, env_for(home), prices())
    for _ in steps:
        if not seen_missing:
            present = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            seen_missing = sorted(set(DEFERRABLE_INDEXES) - present)
    assert seen_missing == sorted(DEFERRABLE_INDEXES)  # really written without them
    assert index_sql(tmp_path / "deferred.sqlite") == migrated
    monkeypatch.setattr("desktop.ingest.PARALLEL_MIN_BYTES", 1 << 40)  # the reference keeps its indexes throughout
    reference = Store.open(tmp_path / "reference.sqlite")
    scan_all(reference, home)
    assert totals(store) == totals(reference)
    store.close()
    reference.close()


def test_a_first_import_stopped_midway_still_builds_them(tmp_path: Path, first_import_is_big: None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("TOKENMIRROR_CHUNK_BYTES", "65536")
    home = tmp_path / "home"
    generate(home, 2_000_000, seed=12)
    store = Store.open(tmp_path / "a.sqlite")
    steps = scan(store, SOURCES, env_for(home), prices())
    for _ in range(5):
        next(steps)
    steps.close()  # the app paused it
    assert set(DEFERRABLE_INDEXES) <= set(index_sql(tmp_path / "a.sqlite"))
    store.close()


def test_an_import_killed_before_its_end_is_mended_by_the_next_scan(tmp_path: Path, isolated_home: Path) -> None:
    store = Store.open(tmp_path / "a.sqlite")
    for name in DEFERRABLE_INDEXES:  # what a SIGKILL between the drop and the build leaves
        store.conn.execute(f"DROP INDEX {name}")
    store.conn.commit()
    assert ensure_indexes(store) == len(DEFERRABLE_INDEXES)
    assert ensure_indexes(store) == 0
    for name in DEFERRABLE_INDEXES:
        store.conn.execute(f"DROP INDEX {name}")
    store.conn.commit()
    scan_all(store, isolated_home)  # a plain scan, nothing to import: it builds them before anything else
    assert set(DEFERRABLE_INDEXES) <= set(index_sql(tmp_path / "a.sqlite"))
    store.close()
