"""Shared pieces of the corpus generator: ids, timestamps, text pools, ground truth, file sink."""

from __future__ import annotations

import os
import random
import string
import time
from pathlib import Path

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000

# The history spans twelve months; Codex only wrote token_count from 2025-09-06 on.
PERIOD_START_MS = 1_746_057_600_000  # 2025-05-01T00:00:00Z
PERIOD_END_MS = 1_777_507_200_000  # 2026-04-30T00:00:00Z
CODEX_START_MS = 1_757_894_400_000  # 2025-09-15T00:00:00Z
NEW_RATE_LIMITS_MS = 1_761_955_200_000  # 2025-11-01: rate_limits gain limit_id
CLAUDE_V2_MS = 1_756_684_800_000  # 2025-09-01: Claude Code 2.0, no more costUSD
CLAUDE_V21_MS = 1_767_225_600_000  # 2026-01-01: 2.1.x builds (streaming snapshots era)

TOKEN_KEYS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "reasoning_tokens",
    "total_tokens",
    "events",
)

_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_B64 = string.ascii_letters + string.digits + "+/"
_date_cache: dict[int, str] = {}


def iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and Z, as both assistants write it."""
    sec, milli = divmod(ms, 1000)
    t = time.gmtime(sec)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[0], t[1], t[2], t[3], t[4], t[5], milli)


def utc_date(ms: int) -> str:
    day = ms // DAY_MS
    text = _date_cache.get(day)
    if text is None:
        t = time.gmtime(day * 86400)
        text = _date_cache[day] = "%04d-%02d-%02d" % (t[0], t[1], t[2])
    return text


def day_bounds(ms: int) -> tuple[int, int]:
    start = ms - ms % DAY_MS
    return start, start + DAY_MS - 1


class Ids:
    """Deterministic identifiers in the shapes the assistants write."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def b62(self, n: int) -> str:
        return "".join(self.rng.choices(_B62, k=n))

    def hexs(self, n: int) -> str:
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def uuid4(self) -> str:
        h = "%032x" % self.rng.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"

    def uuid7(self, ms: int) -> str:
        h = "%012x" % (ms & 0xFFFFFFFFFFFF) + "%020x" % self.rng.getrandbits(80)
        return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


# --- text pools -------------------------------------------------------------------------------
# The pools hold text that is already JSON-escaped (only \n, \t and \" escapes, no \\), so a slice
# can be pasted between quotes; take() never cuts an escape in half.

_WORDS = (
    "the request handler returns early when cache entry is stale and we retry with backoff "
    "parse config file value missing default fallback path user session token refresh queue "
    "worker thread pool timeout error retry schema migration index column table row batch "
    "commit branch merge rebase diff patch test fixture assert expected actual mismatch build "
    "deploy container image layer registry network socket buffer stream chunk offset cursor "
    "widget layout signal slot render paint model view controller route middleware payload"
).split()
_IDENTS = (
    "user_id", "order", "cart", "session", "config", "payload", "result", "items", "cursor",
    "offset", "handler", "client", "response", "request", "cache", "store", "event", "record",
)
_TYPES = ("int", "str", "dict[str, Any]", "list[Row]", "Path", "bytes", "Order | None", "bool")
_UNICODE = ("café", "naïve", "→", "—", "✓", "“quoted”", "日本語のテキスト", "Привет", "émoji 🚀", "½")


def _code_line(rng: random.Random) -> str:
    w = rng.choice
    k = rng.randrange(9)
    if k == 0:
        return f"def {w(_IDENTS)}_{w(_WORDS)}(self, {w(_IDENTS)}: {w(_TYPES)}) -> {w(_TYPES)}:"
    if k == 1:
        return f"\\t\\treturn self.{w(_IDENTS)}.get(\\\"{w(_WORDS)}\\\", {rng.randrange(1000)})"
    if k == 2:
        a, b, c = w(_IDENTS), w(_IDENTS), w(_IDENTS)
        return f"{rng.randrange(1, 4000):>5}\\t    {a} = {b}[{rng.randrange(64)}:] + [{c}]"
    if k == 3:
        day = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        return f"{day} INFO [{w(_WORDS)}] {w(_WORDS)} {w(_WORDS)} took {rng.randrange(900)} ms"
    if k == 4:
        words = f"{w(_WORDS)} {w(_WORDS)} {w(_UNICODE)}"
        return f"    assert {w(_IDENTS)} == {rng.randrange(99)}, \\\"{words}\\\""
    if k == 5:
        return f"FAILED tests/test_{w(_WORDS)}.py::test_{w(_WORDS)}_{w(_WORDS)} - AssertionError: {w(_WORDS)}"
    if k == 6:
        return f"import {w(_WORDS)}.{w(_IDENTS)} as {w(_IDENTS)}  # {w(_WORDS)} {w(_UNICODE)}"
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(6, 18)))
    return words.capitalize() + rng.choice((".", ",", ":", " —", " " + w(_UNICODE) + "."))


def _build_text_pool(rng: random.Random, size: int) -> str:
    parts, n = [], 0
    while n < size:
        line = _code_line(rng)
        parts.append(line)
        n += len(line) + 2
    return "\\n".join(parts)


class Pools:
    """Pre-rendered text to slice from, so that a 20 KB line costs one slice, not 20 KB of work."""

    def __init__(self, rng: random.Random, text_size: int = 1 << 21) -> None:
        self.text = _build_text_pool(rng, text_size)
        self.b64 = "".join(rng.choices(_B64, k=1 << 18))

    def take(self, rng: random.Random, size: int) -> str:
        t = self.text
        size = max(1, min(size, len(t) - 4))
        a = rng.randrange(0, len(t) - size)
        b = a + size
        if a and t[a - 1] == "\\":
            a += 1
        if t[b - 1] == "\\":
            b -= 1
        return t[a:b]

    def b64_take(self, rng: random.Random, size: int) -> str:
        size = max(4, min(size, len(self.b64) - 1)) & ~3
        a = rng.randrange(0, len(self.b64) - size)
        return self.b64[a : a + size]


# --- ground truth -----------------------------------------------------------------------------


class Truth:
    """Counted calls per (UTC date, source, model): input, output, cache write, cache read, reasoning, n."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, str], list[int]] = {}

    def add(self, ms: int, source: str, model: str, inp: int, out: int, cwrite: int, cread: int,
            reasoning: int) -> None:
        key = (utc_date(ms), source, model)
        c = self.cells.get(key)
        if c is None:
            c = self.cells[key] = [0, 0, 0, 0, 0, 0]
        c[0] += inp
        c[1] += out
        c[2] += cwrite
        c[3] += cread
        c[4] += reasoning
        c[5] += 1

    def merge(self, other: Truth) -> None:
        for key, vals in other.cells.items():
            c = self.cells.setdefault(key, [0, 0, 0, 0, 0, 0])
            for i, v in enumerate(vals):
                c[i] += v

    def report(self) -> dict:
        """The shape of `report daily --json --by-model --tz UTC`, without cost (the reader prices it)."""
        rows = []
        tot = dict.fromkeys(TOKEN_KEYS, 0)
        for (day, source, model), c in sorted(self.cells.items()):
            row = {
                "date": day,
                "source": source,
                "model": model,
                "input_tokens": c[0],
                "output_tokens": c[1],
                "cache_creation_tokens": c[2],
                "cache_read_tokens": c[3],
                "reasoning_tokens": c[4],
                "total_tokens": c[0] + c[1] + c[2] + c[3],
                "events": c[5],
                "is_estimate": False,
            }
            rows.append(row)
            for k, v in zip(TOKEN_KEYS, (c[0], c[1], c[2], c[3], c[4], c[0] + c[1] + c[2] + c[3], c[5])):
                tot[k] += v
        return {"rows": rows, "totals": tot}

    @classmethod
    def from_report(cls, report: dict) -> Truth:
        t = cls()
        for r in report["rows"]:
            t.cells[(r["date"], r["source"], r["model"])] = [
                r["input_tokens"], r["output_tokens"], r["cache_creation_tokens"],
                r["cache_read_tokens"], r["reasoning_tokens"], r["events"],
            ]
        return t


# --- output -------------------------------------------------------------------------------------


class Sink:
    """Writes whole files in one call and keeps byte and file counts per source."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bytes = {"claude": 0, "codex": 0}
        self.files = {"claude": 0, "codex": 0}
        self._dirs: set[str] = set()

    def write(self, rel: str, parts: list[str] | str, source: str, mode: str = "wb") -> bytes:
        data = (parts if isinstance(parts, str) else "".join(parts)).encode("utf-8", "surrogateescape")
        path = os.path.join(self.root, rel)
        d = os.path.dirname(path)
        if d not in self._dirs:
            os.makedirs(d, exist_ok=True)
            self._dirs.add(d)
        with open(path, mode) as f:
            f.write(data)
        self.bytes[source] += len(data)
        if rel.endswith(".jsonl") and mode == "wb":
            self.files[source] += 1
        return data

    def write_bytes(self, rel: str, data: bytes, source: str) -> None:
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.bytes[source] += len(data)
        self.files[source] += 1


class Features:
    """Decides when an ugly case appears: at a steady rate, and at least once per corpus.

    A feature that has not appeared yet is forced from its own turn on (features are staggered
    so that the first sessions do not carry every case at once).
    """

    def __init__(self, rng: random.Random, names: tuple[str, ...]) -> None:
        self.rng = rng
        self.force_at = {name: i for i, name in enumerate(names)}
        self.seen: dict[str, int] = {}
        self.turn = 0

    def want(self, name: str, p: float) -> bool:
        if self.rng.random() < p:
            return True
        return name not in self.seen and self.turn >= self.force_at[name]

    def mark(self, name: str) -> None:
        self.seen[name] = self.seen.get(name, 0) + 1
