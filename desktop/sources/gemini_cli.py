"""Gemini CLI chat recordings: one row per `gemini` message id, the last record of it wins
(LOG-FORMATS §3.3, §5 rows 21-24).

Two file formats live side by side in `~/.gemini/tmp/<project>/chats/`:

- `session-*.jsonl` (v0.39+): append-only, read by byte cursor. A message is re-appended whenever it
  changes (tokens attached, tool calls updated), so the key `(sessionId, message.id)` is upserted
  with the "replace" policy: the last copy wins. `$rewindTo` and `$set.messages` are ignored for
  usage: rewound turns were billed, and a checkpoint only repeats messages already recorded.
- `session-*.json` (legacy, before v0.39): one document rewritten in full on every update, read by
  `GeminiCliLegacy` in document mode (its rows replace the rows the file gave before).

A legacy session resumed on v0.39+ is copied whole into `<same name>.jsonl` next to the `.json`,
which stays. Both use the same keys, and the legacy reader skips any `.json` that has that `.jsonl`
sibling, so such a session is counted once and from the `.jsonl` copy.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from desktop.model import Batch, ToolError, Tokens, UsageEvent
from desktop.sources._jsonl_common import (
    BAD_LINE,
    Sessions,
    decode_line,
    env_path,
    looks_like_object,
    parts_text,
    prompt,
    raw_json,
    tool_call,
)
from desktop.sources.base import Chunk, Environment, ParseContext, Stateless, lossy, split_lines, walk_file_names
from desktop.sources.counts import count
from desktop.sources.timestamps import iso_to_ms

SOURCE = "gemini"


class GeminiTokens(msgspec.Struct):
    # recordMessageTokens (google-gemini/gemini-cli packages/core/src/services/chatRecordingService.ts)
    input: Any = None
    output: Any = None
    cached: Any = None
    thoughts: Any = None
    tool: Any = None
    total: Any = None


class GeminiToolCall(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    args: msgspec.Raw = msgspec.Raw()
    status: str | None = None
    timestamp: str | None = None


class Record(msgspec.Struct):
    """One JSONL line: a MessageRecord, the metadata line, `$set` or `$rewindTo` (chatRecordingTypes.ts)."""

    id: Any = None
    type: str | None = None
    timestamp: str | None = None
    model: str | None = None
    content: msgspec.Raw = msgspec.Raw()  # decoded only for user messages
    tokens: GeminiTokens | None = None
    toolCalls: list[GeminiToolCall] | None = None
    sessionId: str | None = None
    projectHash: str | None = None
    kind: str | None = None
    directories: Any = None
    rewind_to: Any = msgspec.field(default=None, name="$rewindTo")
    set: msgspec.Raw = msgspec.field(default=msgspec.Raw(), name="$set")


class MetadataUpdate(msgspec.Struct):
    """The fields of `$set` that matter here; a `messages` checkpoint is skipped unread."""

    sessionId: str | None = None
    kind: str | None = None
    directories: Any = None


class LegacyDocument(msgspec.Struct):
    sessionId: str | None = None
    kind: str | None = None
    directories: Any = None
    messages: list[msgspec.Raw] | None = None


_decode = msgspec.json.Decoder(Record).decode
_decode_set = msgspec.json.Decoder(MetadataUpdate).decode
_decode_document = msgspec.json.Decoder(LegacyDocument).decode


def gemini_dir(env: Environment) -> Path:
    """`GEMINI_CLI_HOME` replaces the home folder (`homedir()`, packages/core/src/utils/paths.ts)."""
    return (env_path(env, "GEMINI_CLI_HOME") or env.home) / ".gemini"


class GeminiCli:
    """The `.jsonl` recordings (and subagent recordings `chats/<parent session>/<session>.jsonl`)."""

    id = SOURCE
    name = "Gemini CLI"
    measured = True
    mode = "append"
    conflict = "replace"  # the same message id is re-appended as it changes: the last copy wins

    def roots(self, env: Environment) -> list[Path]:
        return [gemini_dir(env) / "tmp"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".jsonl"):
                if _is_recording(path):
                    yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> GeminiParser:
        return GeminiParser(path, state, context)


class GeminiCliLegacy:
    """The legacy `session-*.json` documents. Its rows are Gemini rows (source "gemini", the same keys
    as the `.jsonl` reader); it is a second registry entry only because documents need their own
    ingest mode. Register it next to `GeminiCli`."""

    id = "gemini-legacy"
    part_of = SOURCE  # one assistant, two readers: `--source gemini` and the settings cover both
    name = "Gemini CLI (legacy .json)"
    measured = True
    mode = "document"
    conflict = "replace"

    def roots(self, env: Environment) -> list[Path]:
        return [gemini_dir(env) / "tmp"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".json"):
                name = os.path.basename(path)
                if name.startswith("session-") and _folder_name(path, 1) == "chats":
                    yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> GeminiLegacyParser:
        return GeminiLegacyParser(path, context)


def _folder_name(path: str, up: int) -> str:
    for _ in range(up):
        path = os.path.dirname(path)
    return os.path.basename(path)


def _is_recording(path: str) -> bool:
    """`chats/session-<time>-<id8>.jsonl`, or a subagent's `chats/<parent session id>/<session id>.jsonl`."""
    if _folder_name(path, 1) == "chats":
        return os.path.basename(path).startswith("session-")
    return _folder_name(path, 2) == "chats"


class _Layout:
    """What the file's place says: the project folder, and the parent session of a subagent."""

    def __init__(self, path: Path) -> None:
        if path.parent.name == "chats":
            self.project_dir, self.parent = path.parent.parent, None
        elif path.parent.parent.name == "chats":
            self.project_dir, self.parent = path.parent.parent.parent, path.parent.name
        else:  # a file the user pointed at directly
            self.project_dir, self.parent = path.parent, None

    def project_path(self) -> str | None:
        """The project root as Gemini CLI wrote it (v0.29+): the `.project_root` marker of the slug folder,
        else the slug's entry in `~/.gemini/projects.json` (config/projectRegistry.ts). The older
        sha256-named folders record no path: None, never a guess."""
        try:
            marker_file = self.project_dir / ".project_root"
            marker = marker_file.read_text(encoding="utf-8", errors="replace").strip()
            if marker:
                return marker
        except OSError:
            pass
        registry = self.project_dir.parent.parent / "projects.json"
        for project, slug in _registry(registry).items():
            if slug == self.project_dir.name:
                return project
        return None


_REGISTRY_CACHE: dict[str, tuple[int, dict[str, str]]] = {}


def _registry(path: Path) -> dict[str, str]:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    cached = _REGISTRY_CACHE.get(str(path))
    if cached and cached[0] == mtime:
        return cached[1]
    try:
        projects = json.loads(path.read_bytes()).get("projects")
    except (OSError, ValueError, AttributeError):
        projects = None
    found: dict[str, str] = {}
    if isinstance(projects, dict):
        found = {k: v for k, v in projects.items() if isinstance(k, str) and isinstance(v, str)}
    _REGISTRY_CACHE[str(path)] = (mtime, found)
    return found


def _first_directory(value: Any) -> str | None:
    if isinstance(value, list) and value and isinstance(value[0], str) and value[0]:
        return value[0]
    return None


def _tokens(raw: GeminiTokens) -> Tokens:
    """Cached is inside input, thoughts are outside output (LOG-FORMATS §3.3). As ccusage
    `normalize_session_input` (adapter/gemini/parser.rs): the cache is subtracted when the record's
    own total says input includes it; otherwise input is taken as already net."""
    input_all, output, cached = count(raw.input), count(raw.output), count(raw.cached)
    thoughts, tool = count(raw.thoughts), count(raw.tool)
    total = None if raw.total is None else count(raw.total)
    inclusive = input_all + output + thoughts + tool
    if cached > 0 and total == inclusive and total != inclusive + cached:
        input_net = input_all - min(cached, input_all)
    else:
        input_net = input_all
    return Tokens(
        input_uncached=input_net + tool,
        cache_read=cached,
        output=output,
        reasoning=thoughts,
        reasoning_in_output=False,  # thoughts are billed on top of output
    )


class _Conversation:
    """Turns message records into rows; shared by the JSONL and the legacy reader."""

    def __init__(self, path: Path, context: ParseContext, session: str | None, kind: str | None,
                 parent: str | None, project: str | None) -> None:  # fmt: skip
        self.path = path
        self.context = context
        self.session = session
        self.kind = kind
        self.parent = parent
        self.project = project

    @property
    def is_subagent(self) -> bool:
        return self.kind == "subagent" or self.parent is not None

    def key_session(self) -> str:
        return self.session or f"file:{self.path.stem}"

    def message(self, record: Record, offset: int, batch: Batch, sessions: Sessions) -> None:
        ts = iso_to_ms(record.timestamp)
        kind = record.type
        if kind == "gemini":
            if record.tokens is not None:
                if ts is None:
                    raise ValueError("gemini message with tokens but no timestamp")
                self._usage(record, ts, offset, batch)
            if record.toolCalls:
                self._tools(record, ts, batch)
        elif kind == "user":
            if ts is not None and not self.is_subagent:  # a subagent's brief is written by the parent agent
                text = parts_text(raw_json(record.content))
                if text.strip():
                    key = f"{self.key_session()}:{record.id}"
                    batch.prompts.append(prompt(SOURCE, key, self.session, ts, text, self.context))
        elif kind == "error":
            batch.error_events += 1  # "[API Error: ...]" notices: not billed calls
        sessions.touch(
            self.session, ts, project_path=self.project, parent_session_id=self.parent,
            entrypoint="subagent" if self.is_subagent else None,
        )  # fmt: skip

    def _usage(self, record: Record, ts: int, offset: int, batch: Batch) -> None:
        assert record.tokens is not None
        tokens = _tokens(record.tokens)
        if not tokens.total:
            return
        batch.events.append(
            UsageEvent(
                source=SOURCE,
                dedup_key=f"{self.key_session()}:{record.id}",
                ts_ms=ts,
                tokens=tokens,
                model=record.model or None,
                session_id=self.session,
                parent_session_id=self.parent,
                agent="subagent" if self.is_subagent else None,
                is_sidechain=self.is_subagent,
                project_path=self.project,
                provider="google",
                raw_offset=offset,
            )
        )

    def _tools(self, record: Record, ts: int | None, batch: Batch) -> None:
        for call in record.toolCalls or ():
            if not call.id or not call.name:
                continue
            when = iso_to_ms(call.timestamp) or ts
            if when is None:
                continue
            raw_args = bytes(call.args)
            batch.tool_calls.append(tool_call(SOURCE, call.id, self.session, when, call.name, raw_args))
            if call.status == "error":  # the record is re-appended as the call progresses
                batch.tool_errors.append(ToolError(SOURCE, call.id))


class GeminiParser:
    """Per-file state: the session named by the metadata line, and where the file sits."""

    def __init__(self, path: Path, state: dict[str, Any], context: ParseContext) -> None:
        if "project" in state:
            project, parent = state["project"], state.get("parent")
        else:
            layout = _Layout(path)
            project, parent = layout.project_path(), layout.parent
        self.conv = _Conversation(path, context, state.get("session"), state.get("kind"), parent, project)

    def state(self) -> dict[str, Any]:
        c = self.conv
        return {"session": c.session, "kind": c.kind, "parent": c.parent, "project": c.project}

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions = Sessions(SOURCE)
        for offset, number, raw in split_lines(chunk):
            try:
                record = decode_line(_decode, Record, raw)
                if record.rewind_to is not None:
                    continue  # drops turns for resume only; they were billed (LOG-FORMATS §5 row 23)
                if isinstance(record.id, str):
                    self.conv.message(record, offset, batch, sessions)
                elif record.set:
                    self._metadata_update(record.set)
                elif record.sessionId:
                    self._metadata(record)
            except BAD_LINE:
                batch.skipped_lines.append(number)
        sessions.into(batch)
        return batch

    def _metadata(self, record: Record) -> None:
        c = self.conv
        if c.session is None:
            c.session = record.sessionId
        c.kind = record.kind or c.kind
        c.project = c.project or _first_directory(record.directories)

    def _metadata_update(self, raw: msgspec.Raw) -> None:
        """`$set`: sessionId, kind, directories; a `messages` checkpoint repeats recorded messages."""
        try:
            update = _decode_set(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            update = msgspec.convert(msgspec.json.decode(lossy(bytes(raw))), MetadataUpdate, strict=False)
        c = self.conv
        c.session = c.session or update.sessionId
        c.kind = update.kind or c.kind
        c.project = c.project or _first_directory(update.directories)


class NotADocument(OSError):
    """A legacy file that is not (yet) one whole JSON document: half written, or damaged. Raised so
    the scan leaves the file's earlier rows alone and tries again next time."""


class GeminiLegacyParser(Stateless):
    def __init__(self, path: Path, context: ParseContext) -> None:
        self.path = path
        self.context = context

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        if path.with_suffix(".jsonl").exists():
            return batch  # resumed on v0.39+: the whole session was copied into the .jsonl, read there
        data = path.read_bytes()
        if not looks_like_object(data):
            raise NotADocument(f"{path.name}: not a complete JSON document")
        try:
            doc = decode_line(_decode_document, LegacyDocument, data)
        except BAD_LINE as exc:
            raise NotADocument(f"{path.name}: {exc}") from exc
        layout = _Layout(path)
        project = layout.project_path() or _first_directory(doc.directories)
        conv = _Conversation(path, self.context, doc.sessionId, doc.kind, layout.parent, project)
        sessions = Sessions(SOURCE)
        for number, raw in enumerate(doc.messages or (), start=1):
            try:
                record = decode_line(_decode, Record, bytes(raw))
                if isinstance(record.id, str):
                    conv.message(record, 0, batch, sessions)
            except BAD_LINE:
                batch.skipped_lines.append(number)  # the n-th message of the document
        sessions.into(batch)
        return batch
