"""What the Gemini, Qwen, pi and Copilot readers share: tolerant decoding, session bookkeeping,
prompt and tool-call records, and paths given in environment variables."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from desktop.model import Batch, Prompt, SessionInfo, ToolCall
from desktop.sources.base import Environment, ParseContext, bytes_hash, lossy, text_hash
from desktop.sources.counts import BadCount

T = TypeVar("T")

# what makes one line bad (skipped and counted) rather than the whole file
BAD_LINE = (msgspec.DecodeError, msgspec.ValidationError, BadCount, ValueError, TypeError, UnicodeDecodeError,
            RecursionError)  # deep nesting is a bad line, not a crash

# file-writing tools whose arguments name the file they change
EDIT_TOOLS = {
    "edit", "write", "write_file", "replace", "edit_file", "create", "str_replace", "apply_patch",
    "multi_edit", "multiedit", "create_file", "str_replace_editor",
}  # fmt: skip
_PATH_ARGS = ("file_path", "absolute_path", "path", "filePath", "filename")


def decode_line(decode: Callable[[bytes], T], kind: type[T], raw: bytes) -> T:
    """The typed fast path; bad UTF-8 is replaced, not fatal; `"12"` where 12 belongs is accepted."""
    try:
        return decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raw = lossy(raw)
        try:
            return decode(raw)
        except msgspec.ValidationError:
            return msgspec.convert(msgspec.json.decode(raw), kind, strict=False)
    except msgspec.ValidationError:
        return msgspec.convert(msgspec.json.decode(raw), kind, strict=False)


def looks_like_object(raw: bytes) -> bool:
    stripped = raw.strip()
    return stripped.startswith(b"{") and stripped.endswith(b"}")


def env_path(env: Environment, name: str) -> Path | None:
    """A folder named by an environment variable; `~` is the user's home as the Environment sees it."""
    value = env.var(name)
    if value is None or not value.strip():
        return None
    return expand(env, value.strip())


def expand(env: Environment, value: str) -> Path:
    if value == "~":
        return env.home
    if value.startswith(("~/", "~\\")):
        return env.home / value[2:]
    return Path(value)


def env_paths(env: Environment, name: str) -> list[Path]:
    """A comma-separated list of folders in one variable (as ccusage accepts them)."""
    value = env.var(name)
    if not value:
        return []
    return [expand(env, part.strip()) for part in value.split(",") if part.strip()]


def unique(paths: Iterable[Path]) -> list[Path]:
    seen: set[str] = set()
    out = []
    for path in paths:
        if str(path) not in seen:
            seen.add(str(path))
            out.append(path)
    return out


class Sessions:
    """First and last activity per session seen in one chunk, with what else is known of it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._by_id: dict[str, SessionInfo] = {}

    def touch(self, session_id: str | None, ts: int | None, **known: Any) -> None:
        if not session_id or ts is None:
            return
        info = self._by_id.get(session_id)
        if info is None:
            info = SessionInfo(source=self.source, session_id=session_id, ts_ms=ts, **known)
            self._by_id[session_id] = info
            return
        info.ts_ms = min(info.ts_ms, ts)
        info.last_ts_ms = max(info.last_ts_ms, ts)
        for name, value in known.items():
            if value is not None and getattr(info, name) in (None, False):
                setattr(info, name, value)

    def into(self, batch: Batch) -> None:
        batch.sessions.extend(self._by_id.values())


def prompt(source: str, key: str, session: str | None, ts: int, text: str, context: ParseContext) -> Prompt:
    """A human prompt as the archive keeps it: hash, length and an optional excerpt, never the text."""
    return Prompt(
        source=source,
        prompt_key=key,
        session_id=session,
        ts_ms=ts,
        text_hash=text_hash(text),
        length=len(text),
        excerpt=context.excerpt(text),
    )


def tool_call(source: str, key: str, session: str | None, ts: int, name: str, raw_args: bytes) -> ToolCall:
    return ToolCall(
        source=source,
        call_key=key,
        session_id=session,
        ts_ms=ts,
        name=name,
        args_hash=bytes_hash(name.encode() + b"\0" + raw_args),
        file_path=edited_file(name, raw_args),
    )


def edited_file(name: str, raw_args: bytes) -> str | None:
    """The file a writing tool changes, from its JSON arguments; None for every other tool."""
    if name.lower() not in EDIT_TOOLS or not raw_args:
        return None
    try:
        args = msgspec.json.decode(raw_args)
    except msgspec.DecodeError:
        return None
    if isinstance(args, str):  # some tools pass their arguments as a JSON string
        try:
            args = msgspec.json.decode(args)
        except msgspec.DecodeError:
            return None
    if not isinstance(args, dict):
        return None
    for field in _PATH_ARGS:
        value = args.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def parts_text(content: Any) -> str:
    """Text of a Gemini-style content value: a string, or a list of parts of which `text` ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = content.get("parts")
    if not isinstance(content, list):
        return ""
    texts = [part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)]
    return "\n".join(texts)


def raw_json(value: msgspec.Raw) -> Any:
    """Decode a field kept raw on the fast path; None when it is absent."""
    if not value:
        return None
    return msgspec.json.decode(value)
