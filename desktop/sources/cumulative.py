"""Running totals per session turned into usage rows: snapshot -> positive delta (LOG-FORMATS §2.6).

Zed threads, Factory Droid settings and Goose's pre-ledger `sessions` rows only hold a counter per
session. Each scan compares it with the last counters seen (kept in the parser state) and emits the
field-wise positive difference as one `granularity='session'` row keyed `<session>:<observed ts>`.
A field that went down (a reset, a summarisation, a new schema) becomes the new baseline: never a
negative row. History from before the first scan lands on the first observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Number = int | float


@dataclass(frozen=True)
class Delta:
    values: tuple[Number, ...]  # field-wise positive difference, in the caller's field order
    ts_ms: int  # the observation instant, made unique per session (dedup key and timestamp)
    first: bool  # nothing was emitted for this session before

    @property
    def key_ts(self) -> str:
        return str(self.ts_ms)


class Snapshots:
    """Last seen counters per session: `{session: {"c": [..], "t": last emitted ts}}` in the state."""

    def __init__(self, state: dict[str, Any] | None) -> None:
        self.seen: dict[str, dict[str, Any]] = dict(state or {})

    def state(self) -> dict[str, Any]:
        return self.seen

    def known(self, session: str) -> bool:
        return session in self.seen

    def baseline(self, session: str) -> list[Number] | None:
        entry = self.seen.get(session)
        return list(entry["c"]) if entry else None

    def forget(self, session: str) -> None:
        self.seen.pop(session, None)

    def observe(self, session: str, counters: Sequence[Number], ts_ms: int, start_ms: int | None = None) -> Delta | None:
        """Record the counters seen at `ts_ms`; the positive difference to emit, if any.

        The first delta of a session holds its history: it is dated (and keyed) at the session's
        start when the source knows it. That key does not depend on when the scan ran, so if the
        counters are ever seen again as new (lost parser state) the copy collides and is dropped."""
        entry = self.seen.get(session)
        previous = list(entry["c"]) if entry else []
        last_ts = entry.get("t") if entry else None
        if last_ts is None and start_ms is not None:  # nothing emitted yet for this session
            ts_ms = start_ms
        base = previous + [0] * (len(counters) - len(previous))  # a field added by a newer schema
        delta = tuple(max(now - before, 0) for now, before in zip(counters, base))
        emit = any(value > 0 for value in delta)
        if emit and last_ts is not None and ts_ms <= last_ts:
            ts_ms = last_ts + 1  # keys stay unique when the source's clock did not move
        self.seen[session] = {"c": list(counters), "t": ts_ms if emit else last_ts}
        if not emit:
            return None
        return Delta(delta, ts_ms, last_ts is None)
