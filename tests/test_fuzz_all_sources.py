"""Every registered reader survives hostile input: random bytes and lines never raise; a whole-file
reader may only report the file unreadable (OSError), which leaves its earlier rows in place."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.sources import SOURCES
from desktop.sources.base import Chunk, ParseContext

APPEND = [s for s in SOURCES if getattr(s, "mode", "append") == "append"]
WHOLE = [s for s in SOURCES if getattr(s, "mode", "append") != "append"]

json_lines = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "usage", "message", "id", "tokens", "timestamp", "model", "payload", "data",
                         "input_tokens", "output_tokens", "sessionId", "info", "content", "role"]), inner, max_size=5),
    max_leaves=25,
).map(lambda v: json.dumps(v).encode())  # fmt: skip


def _names(sources: list) -> list[str]:
    return [s.id for s in sources]


@pytest.mark.parametrize("source", APPEND, ids=_names(APPEND))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(st.binary(max_size=200), json_lines), max_size=6))
def test_append_readers_never_raise(source, lines: list[bytes]) -> None:
    clean = [line.replace(b"\n", b" ") for line in lines]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.jsonl"
        path.write_bytes(b"\n".join(clean) + b"\n")
        parser = source.parser(path, {}, ParseContext())
        parser.parse(Chunk(clean, 0, path.stat().st_size, 1))
        json.dumps(parser.state())  # the state must stay storable


@pytest.mark.parametrize("source", WHOLE, ids=_names(WHOLE))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=600), json_lines, st.just(b"SQLite format 3\x00" + b"\x00" * 200)))
def test_whole_file_readers_never_raise(source, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "thing.db"
        path.write_bytes(data)
        parser = source.parser(path, {}, ParseContext())
        try:
            parser.parse_whole(path)
        except OSError:
            pass  # reported as unreadable; retried on the next scan
        json.dumps(parser.state())
