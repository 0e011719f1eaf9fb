"""Writers for small log files in the assistants' documented formats (LOG-FORMATS §3.1, §3.2)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SONNET = "claude-sonnet-4-5-20250929"


def iso(ts: str | datetime) -> str:
    if isinstance(ts, datetime):
        return ts.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return ts


def at(day: str, seconds: int = 0) -> str:
    start = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    return iso(start + timedelta(seconds=seconds))


def write_lines(path: Path, lines: list[Any], *, append: bool = False, trailing_newline: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for line in lines:
        parts.append(line if isinstance(line, bytes) else json.dumps(line).encode())
    data = b"\n".join(parts) + (b"\n" if trailing_newline else b"")
    with open(path, "ab" if append else "wb") as fh:
        fh.write(data)
    return path


# --- Claude Code -------------------------------------------------------------------------------


def claude_file(home: Path, session: str, project: str = "/home/dev/shop-api") -> Path:
    encoded = "".join(c if c.isalnum() else "-" for c in project)
    return home / ".claude" / "projects" / encoded / f"{session}.jsonl"


def claude_assistant(
    ts: str,
    msg_id: str | None,
    request_id: str | None,
    *,
    session: str = "s1",
    input: int = 10,
    output: int = 5,
    cache_write: int = 0,
    cache_read: int = 0,
    cache_1h: int | None = None,
    model: str = SONNET,
    cwd: str = "/home/dev/shop-api",
    sidechain: bool = False,
    block: dict | None = None,
    **extra: Any,
) -> dict:
    usage: dict[str, Any] = {
        "input_tokens": input,
        "cache_creation_input_tokens": cache_write + (cache_1h or 0),
        "cache_read_input_tokens": cache_read,
        "output_tokens": output,
    }
    if cache_1h is not None:
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": cache_1h}
    message: dict[str, Any] = {
        "model": model,
        "role": "assistant",
        "content": [block or {"type": "text", "text": "ok"}],
        "usage": usage,
    }
    if msg_id is not None:
        message["id"] = msg_id
    line: dict[str, Any] = {
        "type": "assistant",
        "timestamp": ts,
        "sessionId": session,
        "cwd": cwd,
        "version": "2.1.40",
        "gitBranch": "main",
        "isSidechain": sidechain,
        "uuid": f"u-{msg_id}-{output}-{ts}",
        "message": message,
    }
    if request_id is not None:
        line["requestId"] = request_id
    line.update(extra)
    return line


def claude_user(ts: str, text: Any, *, session: str = "s1", uuid: str | None = None, **extra: Any) -> dict:
    line = {
        "type": "user",
        "timestamp": ts,
        "sessionId": session,
        "cwd": "/home/dev/shop-api",
        "uuid": uuid or f"p-{ts}",
        "message": {"role": "user", "content": text},
    }
    line.update(extra)
    return line


def tool_use(call_id: str, name: str, **args: Any) -> dict:
    return {"type": "tool_use", "id": call_id, "name": name, "input": args}


def tool_result(call_id: str, is_error: bool = False) -> list[dict]:
    return [{"type": "tool_result", "tool_use_id": call_id, "content": "x" * 50, "is_error": is_error}]


# --- Codex -------------------------------------------------------------------------------------


def codex_file(home: Path, thread: str, day: str = "2026-04-10", archived: bool = False) -> Path:
    y, m, d = day.split("-")
    name = f"rollout-{day}T08-00-00-{thread}.jsonl"
    if archived:
        return home / ".codex" / "archived_sessions" / name
    return home / ".codex" / "sessions" / y / m / d / name


def codex_meta(ts: str, thread: str, *, cwd: str = "/home/dev/api", forked_from: str | None = None,
               source: Any = "cli") -> dict:  # fmt: skip
    payload: dict[str, Any] = {"id": thread, "cwd": cwd, "cli_version": "0.121.0", "source": source,
                               "model_provider": "openai", "git": {"branch": "main"}}  # fmt: skip
    if forked_from:
        payload["forked_from_id"] = forked_from
    return {"timestamp": ts, "type": "session_meta", "payload": payload}


def codex_turn(ts: str, model: str = "gpt-5-codex") -> dict:
    return {"timestamp": ts, "type": "turn_context", "payload": {"cwd": "/home/dev/api", "model": model}}


def usage(input: int, cached: int, output: int, reasoning: int = 0) -> dict:
    return {"input_tokens": input, "cached_input_tokens": cached, "output_tokens": output,
            "reasoning_output_tokens": reasoning, "total_tokens": input + output}  # fmt: skip


def codex_tokens(ts: str, total: dict | None, last: dict | None, lane: str | None = "codex") -> dict:
    info = None if total is None and last is None else {"total_token_usage": total, "last_token_usage": last,
                                                         "model_context_window": 272000}  # fmt: skip
    rate = {"limit_id": lane, "primary": {"used_percent": 4.0}} if lane else None
    return {"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count", "info": info, "rate_limits": rate}}


def codex_prompt(ts: str, text: str) -> dict:
    return {"timestamp": ts, "type": "event_msg", "payload": {"type": "user_message", "message": text}}


def midnight_history(home: Path) -> Path:
    """Two Claude Code calls either side of UTC midnight and one Codex call (the CLI's and the bundle's tests)."""
    write_lines(claude_file(home, "s1"), [
        claude_assistant("2026-01-05T23:30:00.000Z", "m1", "r1", input=10, output=5, cache_write=20, cache_read=30),
        claude_assistant("2026-01-06T00:30:00.000Z", "m2", "r2", input=1, output=2, model="claude-opus-4-6"),
    ])  # fmt: skip
    t = usage(100, 40, 12, 4)
    thread = "0199a213-81c0-7800-8aa1-bbab2a035a55"
    write_lines(codex_file(home, thread, day="2026-01-05"),
                [codex_meta(at("2026-01-05T11:00:00"), thread), codex_turn(at("2026-01-05T11:00:01")),
                 codex_tokens(at("2026-01-05T11:00:09"), t, t)])  # fmt: skip
    return home
