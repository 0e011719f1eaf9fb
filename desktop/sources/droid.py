"""Factory Droid `*.settings.json`: a session's running `tokenUsage`, imported as snapshot deltas
(LOG-FORMATS §3.12, §2.6).

The file is rewritten in place, but its counters are totals, so its rows are not replaced per file:
each change yields the positive difference to the last counters seen (kept in the parser state),
keyed `<sessionId>:<observed ts>`. The observation is timed by the file's mtime, floored at
`providerLockTimestamp` (tokscale sessions/droid.rs resolve_usage_timestamp). The five counters are
stored raw and taken as disjoint, thinking not inside output (tokscale parity; disputed, §6.10).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch, SessionInfo, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, walk_file_names
from desktop.sources.counts import BadCount, count
from desktop.sources.cumulative import Snapshots
from desktop.sources.jsonish import decode, obj, text
from desktop.sources.timestamps import iso_to_ms

SOURCE = "droid"
SUFFIX = ".settings.json"
FIELDS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "thinkingTokens")
TRANSCRIPT_LINES = 500  # tokscale extract_model_from_jsonl reads this many lines at most
_MODEL_LINE = re.compile(r"Model:\s*([^\[\\\"\n]+)")


class Droid:
    id = SOURCE
    name = "Factory Droid"
    measured = True
    records_project = False  # its logs name no working directory: usage goes to "unknown project"
    # parsed whole whenever the file changes, like a database: every change adds a delta row and the
    # earlier rows stay (a "document" would replace them and lose the history of the running total)
    mode = "database"
    conflict = "first"

    def session_dirs(self, env: Environment) -> list[Path]:
        # ccusage adapter/droid/paths.rs: DROID_SESSIONS_DIR (comma list) or ~/.factory/sessions; Windows [unverified]
        configured = env.var("DROID_SESSIONS_DIR")
        if configured:
            return [Path(part.strip()).expanduser() for part in configured.split(",") if part.strip()]
        return [env.home / ".factory" / "sessions"]

    def roots(self, env: Environment) -> list[Path]:
        return self.session_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.session_dirs(env), *extra]:
            yield from walk_file_names(str(root), SUFFIX)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> DroidParser:
        return DroidParser(state)


def model_from_transcript(settings: Path) -> str | None:
    """`Model: Claude Opus 4.5 Thinking [Anthropic]` in the sibling `<id>.jsonl` system reminder
    (tokscale droid.rs extract_model_from_jsonl), normalised the way tokscale does."""
    transcript = settings.with_name(settings.name[: -len(SUFFIX)] + ".jsonl")
    try:
        with open(transcript, "rb") as fh:
            for _ in range(TRANSCRIPT_LINES):
                line = fh.readline()
                if not line:
                    break
                found = _MODEL_LINE.search(line.decode("utf-8", errors="replace"))
                if found and found.group(1).strip():
                    name = re.sub(r"[\s.\-]+", "-", found.group(1).strip().lower())
                    return name.strip("-") or None
    except OSError:
        return None
    return None


class DroidParser:
    def __init__(self, state: dict[str, Any]) -> None:
        self.snapshots = Snapshots(state.get("snap"))

    def state(self) -> dict[str, Any]:
        return {"snap": self.snapshots.state()}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        mtime = os.stat(path).st_mtime_ns // 1_000_000
        try:
            settings = decode(path.read_bytes())
            if not isinstance(settings, dict):
                raise ValueError("settings are not an object")
            usage = obj(settings.get("tokenUsage"))
            counters = [count(usage.get(field)) for field in FIELDS]
        except (ValueError, BadCount):
            batch.skipped_lines.append(1)
            return batch
        session_id = path.name[: -len(SUFFIX)]
        locked = iso_to_ms(text(settings.get("providerLockTimestamp")))
        observed = max(mtime, locked) if locked is not None else mtime
        model = text(settings.get("model"))  # kept as written; pricing strips `custom:` and `[...]`
        fallback = False
        if model is None:
            model, fallback = model_from_transcript(path), True
        delta = self.snapshots.observe(session_id, counters, observed, start_ms=locked)
        if delta is not None:
            d_in, d_out, d_write, d_read, d_think = (int(v) for v in delta.values)
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{session_id}:{delta.key_ts}",
                    ts_ms=delta.ts_ms,
                    tokens=Tokens(input_uncached=d_in, cache_read=d_read, cache_write_5m=d_write, output=d_out,
                                  reasoning=d_think, reasoning_in_output=False),  # fmt: skip
                    model=model,
                    model_is_fallback=fallback and model is not None,
                    granularity="session",
                    session_id=session_id,
                    provider=text(settings.get("providerLock")),
                )
            )
        if any(counters):
            batch.sessions.append(SessionInfo(source=SOURCE, session_id=session_id, ts_ms=locked or observed,
                                              last_ts_ms=observed))  # fmt: skip
        return batch
