"""No parser raises on hostile input: random bytes, spliced lines, wrong types, nulls, huge numbers,
deep nesting, bad UTF-8. Bad lines are counted, never fatal (LOG-FORMATS §2.4)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.sources.base import Chunk, ParseContext
from desktop.sources.claude_code import ClaudeParser
from desktop.sources.codex import CodexParser
from tests.logs import at, claude_assistant, claude_user, codex_meta, codex_tokens, codex_turn, tool_use, usage

SEEDS = [
    claude_assistant(at("2026-03-02"), "m1", "r1", block=tool_use("t1", "Edit", file_path="/a.py")),
    claude_user(at("2026-03-02", 1), "hello"),
    codex_meta(at("2026-03-02"), "th-1"),
    codex_turn(at("2026-03-02", 1)),
    codex_tokens(at("2026-03-02", 2), usage(100, 20, 10, 3), usage(100, 20, 10, 3)),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _mutate(value: object, path: list, replacement: object) -> object:
    """Replace the value at one nested position of a seed line."""
    if not path or not isinstance(value, (dict, list)):
        return replacement
    key = path[0] % len(value) if value else 0
    if isinstance(value, dict) and value:
        name = list(value)[key]
        return {**value, name: _mutate(value[name], path[1:], replacement)}
    if isinstance(value, list) and value:
        copy = list(value)
        copy[key] = _mutate(copy[key], path[1:], replacement)
        return copy
    return replacement


def _parse_all(lines: list[bytes]) -> int:
    data_lines = [line.replace(b"\n", b" ") for line in lines]
    chunk = Chunk(data_lines, 0, sum(len(x) + 1 for x in data_lines), 1)
    skipped = 0
    for parser in (ClaudeParser(Path("/x/s.jsonl"), ParseContext()), CodexParser({}, ParseContext())):
        batch = parser.parse(chunk)
        parser.state()
        skipped += len(batch.skipped_lines)
        for event in batch.events:
            t = event.tokens
            assert all(0 <= n <= 10**12 for n in (t.input_uncached, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning))
    return skipped


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_random_bytes_never_raise(lines: list[bytes]) -> None:
    _parse_all(lines)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.lists(st.integers(0, 50), min_size=1, max_size=5), json_values)
def test_wrong_types_anywhere_never_raise(seed: dict, path: list[int], replacement: object) -> None:
    line = json.dumps(_mutate(seed, path, replacement)).encode()
    _parse_all([line])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.sampled_from(SEEDS), st.integers(0, 400), st.integers(0, 400), st.binary(max_size=4))
def test_spliced_and_truncated_lines_never_raise(a: dict, b: dict, cut_a: int, cut_b: int, junk: bytes) -> None:
    first, second = json.dumps(a).encode(), json.dumps(b).encode()
    _parse_all([first[:cut_a] + junk + second[cut_b:], first[:cut_a], second[cut_b:]])


def test_deep_nesting_and_a_huge_line_are_bad_lines_not_crashes() -> None:
    deep = b'{"type":"assistant","message":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert _parse_all([deep]) >= 1
    huge = json.dumps(claude_user(at("2026-03-02"), "x" * (50 << 20))).encode()
    assert _parse_all([huge]) == 0  # 50 MB of prompt is a valid line: parsed, kept as hash and excerpt
