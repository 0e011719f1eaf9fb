"""Building scenes for the insight detectors: sessions written with the fixture writers, scanned into a
store, and the detectors run at a fixed "now" so tests never depend on the clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from desktop.insights.model import Finding
from desktop.insights.thresholds import DEFAULTS, Thresholds
from desktop.periods import zone
from desktop.reports.usage import Window
from desktop.store import Store
from tests.helpers import prices
from tests.logs import (
    SONNET,
    claude_assistant,
    claude_file,
    claude_user,
    codex_file,
    codex_meta,
    codex_prompt,
    codex_tokens,
    codex_turn,
    iso,
    tool_result,
    tool_use,
    usage,
    write_lines,
)

NOW = datetime(2026, 4, 1, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)
UTC = zone("UTC")
OPUS = "claude-opus-4-1-20250805"
HAIKU = "claude-haiku-4-5"

# USD per token (resources/prices): what the tests check costs against, written out
SONNET_RATES = {"input": 3e-6, "output": 15e-6, "cache_write": 3.75e-6, "cache_read": 0.3e-6}
OPUS_RATES = {"input": 15e-6, "output": 75e-6, "cache_write": 18.75e-6, "cache_read": 1.5e-6}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def window(since: str | None = None, until: str | None = None) -> Window:
    return Window(
        tz=UTC,
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
    )


def thresholds(detector: str, now_ms: int = NOW_MS, **override: float) -> Thresholds:
    values = dict(DEFAULTS[detector])
    values.update(override)
    return Thresholds(values, now_ms=now_ms, prices=prices())


def run(
    module: Any, store: Store, win: Window | None = None, now_ms: int = NOW_MS, **override: float
) -> list[Finding]:
    return module.detect(store, win or window(), thresholds(module.DETECTOR, now_ms, **override))


def cost(
    rates: dict[str, float], input: int = 0, output: int = 0, cache_write: int = 0, cache_read: int = 0
) -> float:
    return (
        input * rates["input"]
        + output * rates["output"]
        + cache_write * rates["cache_write"]
        + cache_read * rates["cache_read"]
    )


class ClaudeSession:
    """One Claude Code transcript, written in time order; times are seconds after `start`."""

    def __init__(
        self,
        home: Path,
        sid: str,
        start: datetime,
        cwd: str = "/home/dev/shop-api",
        model: str = SONNET,
        entrypoint: str | None = None,
    ) -> None:
        self.home, self.sid, self.start, self.cwd, self.model = home, sid, start, cwd, model
        self.extra = {"entrypoint": entrypoint} if entrypoint else {}
        self.lines: list[dict] = []
        self.n = 0

    def _ts(self, seconds: float) -> str:
        return iso(self.start + timedelta(seconds=seconds))

    def prompt(self, seconds: float, text: str) -> ClaudeSession:
        self.n += 1
        self.lines.append(
            claude_user(
                self._ts(seconds),
                text,
                session=self.sid,
                uuid=f"{self.sid}-p{self.n}",
                cwd=self.cwd,
                **self.extra,
            )
        )
        return self

    def call(
        self, seconds: float, *, block: dict | None = None, model: str | None = None, **tokens: int
    ) -> ClaudeSession:
        self.n += 1
        self.lines.append(
            claude_assistant(
                self._ts(seconds),
                f"{self.sid}-m{self.n}",
                f"{self.sid}-r{self.n}",
                session=self.sid,
                cwd=self.cwd,
                model=model or self.model,
                block=block,
                **{"input": 10, "output": 5, **tokens},
                **self.extra,
            )
        )
        return self

    def tool(self, seconds: float, name: str, *, error: bool = False, **args: Any) -> ClaudeSession:
        """A call that uses a tool (input 10, output 5), then its result."""
        call_id = f"{self.sid}-t{self.n + 1}"
        self.call(seconds, block=tool_use(call_id, name, **args))
        if error:
            self.lines.append(
                claude_user(
                    self._ts(seconds + 0.5),
                    tool_result(call_id, is_error=True),
                    session=self.sid,
                    uuid=f"{self.sid}-x{self.n}",
                    cwd=self.cwd,
                )
            )
        return self

    def edit(self, seconds: float, path: str) -> ClaudeSession:
        return self.tool(seconds, "Edit", file_path=path, old_string=f"a{seconds}", new_string=f"b{seconds}")

    def write(self) -> Path:
        return write_lines(claude_file(self.home, self.sid, project=self.cwd), self.lines)


def codex_exec(
    home: Path,
    thread: str,
    start: datetime,
    text: str,
    input: int = 1000,
    output: int = 100,
    source: str = "exec",
) -> Path:
    """A one-prompt Codex session (`codex exec` by default)."""
    t = usage(input, 0, output)
    lines = [
        codex_meta(iso(start), thread, source=source),
        codex_turn(iso(start + timedelta(seconds=1))),
        codex_prompt(iso(start + timedelta(seconds=2)), text),
        codex_tokens(iso(start + timedelta(seconds=9)), t, t),
    ]
    return write_lines(codex_file(home, thread, day=start.date().isoformat()), lines)


def only(found: list[Finding], **match: Any) -> Finding:
    hits = [f for f in found if all(getattr(f, k) == v for k, v in match.items())]
    assert len(hits) == 1, (
        f"want one finding matching {match}, got {[(f.detector, f.subject) for f in found]}"
    )
    return hits[0]


def items(finding: Finding, kind: str) -> list[dict]:
    return [item for item in finding.evidence if item["kind"] == kind]
