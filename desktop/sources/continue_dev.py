"""Continue (VS Code / JetBrains): local tokenizer estimates only (LOG-FORMATS §3.17, pitfall 47).

`${CONTINUE_GLOBAL_DIR:-~/.continue}/dev_data/devdata.sqlite`, table `tokens_generated(id, model,
provider, tokens_generated, tokens_prompt, timestamp)` (continuedev/continue core/data/devdataSqlite.ts).
`BaseLLM._logEnd` (core/llm/index.ts) fills it with `countTokens(prompt)` and `countTokens(completion)`:
Continue's own tokenizer, never the provider's usage. So every row is `is_estimate = 1`, and the
source is `measured = False`. There is no session, project, cache or cost.

The same call is also logged to `dev_data/<schema>/tokensGenerated.jsonl`; only the SQLite table is
read, so nothing is counted twice. Rows are read past the last `id` (append-only table, conflict
`first`); the key is `<db tag>:<id>`, where the tag comes from the table's first row, so two
databases never share keys while a copy of the same database does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch, Tokens, UsageEvent
from desktop.sources._jsonl_common import expand
from desktop.sources.base import Environment, ParseContext, named_files, text_hash
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import text
from desktop.sources.sqlite_reader import columns, database, tables
from desktop.sources.timestamps import iso_to_ms

SOURCE = "continue"
DB_NAME = "devdata.sqlite"


def continue_dir(env: Environment) -> Path:
    """CONTINUE_GLOBAL_DIR, else ~/.continue on every OS (core/util/paths.ts; %USERPROFILE% on Windows)."""
    configured = env.var("CONTINUE_GLOBAL_DIR")
    if configured and configured.strip():
        return expand(env, configured.strip())
    return env.home / ".continue"


class Continue:
    id = SOURCE
    name = "Continue"
    measured = False  # tokenizer estimates: every row is is_estimate = 1
    records_project = False  # no working directory is logged: usage goes to "unknown project"
    mode = "database"
    conflict = "first"  # an append-only table: a row id never comes back with other numbers

    def roots(self, env: Environment) -> list[Path]:
        return [continue_dir(env) / "dev_data"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(self.roots(env), extra, DB_NAME)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> ContinueParser:
        return ContinueParser(state)


class ContinueParser:
    """State: `last_id` (highest row read) and `tag` (this database's key prefix)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.last_id = int(state.get("last_id", 0))
        self.tag: str | None = state.get("tag")

    def state(self) -> dict[str, Any]:
        return {"last_id": self.last_id, "tag": self.tag}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with database(path) as conn:
            if "tokens_generated" in tables(conn):
                self._rows(conn, batch)
        return batch

    def _rows(self, conn: sqlite3.Connection, batch: Batch) -> None:
        cols = columns(conn, "tokens_generated")
        fields = ("model", "provider", "tokens_prompt", "tokens_generated", "timestamp")
        wanted = ", ".join(c if c in cols else "NULL" for c in fields)  # tokens_prompt came later
        if self.tag is None:
            first = conn.execute(f"SELECT id, {wanted} FROM tokens_generated ORDER BY id LIMIT 1").fetchone()
            if first is None:
                return
            self.tag = text_hash(repr(tuple(first)))[:12]
        rows = conn.execute(f"SELECT id, {wanted} FROM tokens_generated WHERE id > ? ORDER BY id", (self.last_id,))
        for row_id, model, provider, prompt_tokens, generated, stamp in rows:
            self.last_id = max(self.last_id, int(row_id))
            ts = iso_to_ms(stamp if isinstance(stamp, str) else None)  # CURRENT_TIMESTAMP: UTC, to the second
            try:
                tokens = Tokens(input_uncached=count(prompt_tokens), output=count(generated))
            except BadCount:
                batch.skipped_lines.append(int(row_id))
                continue
            if ts is None:
                batch.skipped_lines.append(int(row_id))
                continue
            if not (tokens.input_uncached or tokens.output):
                continue
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{self.tag}:{row_id}",
                    ts_ms=ts,
                    tokens=tokens,
                    model=text(model),
                    provider=text(provider),
                    is_estimate=True,  # Continue's tokenizer count, not the provider's usage
                    raw_offset=int(row_id),
                )
            )
