"""Cline, Roo Code and Kilo Code: VS Code-family extensions, the Cline CLI, the Kilo CLI (LOG-FORMATS §3.6).

Extensions (`cline`, `roo`, `kilo`): every host's `User/globalStorage/<extId>/tasks/<taskId>/ui_messages.json`,
a JSON array rewritten in place, so a document: parsed whole on change, its rows replacing the rows it
gave before. One row per `say:"api_req_started"` message that has tokens or a cost, keyed
`<taskId>:<ts>` (the message is updated in place when the stream ends, keeping its `ts`):

- input: `apiProtocol:"anthropic"` excludes cache (stored as is); `"openai"` includes cache reads and
  writes (subtracted, clamped at 0); no protocol depends on the provider, so the figure is stored raw;
- a row without tokens or cost is in flight or cancelled: skipped, and picked up when the file changes;
- a checkpoint restore cuts the file and writes the sums of the removed requests into one marker
  (Cline `deleted_api_reqs`, Roo/Kilo `api_req_deleted`): the marker is a row of its own, so the
  archive follows the file without losing money already spent;
- Cline's `subagent_usage` (subagent runs, which write no request rows) and Roo/Kilo's
  `condense_context` cost are rows too, as the extensions' own task totals count them;
- `HistoryItem` totals (`taskHistory.json`, `history_item.json`) repeat these rows: only the project,
  the model and the parent task are read from them, never the totals.

Cline CLI / SDK (`cline-cli`, part of `cline`): `sessions/<id>/<stem>.messages.json`, one row per assistant
message with `metrics` (the last message of a turn), key `<sessionId>:<message id>`; input includes cache.
Rows are kept when the file is compacted or rewound (upserted by key).

Kilo CLI (`kilo-cli`, part of `kilo`): `kilo.db`, an OpenCode fork's database, read by the OpenCode importer.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.model import Batch, SessionInfo, Tokens, ToolError, UsageEvent
from desktop.sources._jsonl_common import expand, prompt, tool_call, unique
from desktop.sources.base import Environment, ParseContext, Stateless, named_files, walk_file_names
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import canonical, decode, load_document, number, obj, positive_cost, seq, text
from desktop.sources.opencode import DatabaseParser
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

# <extId> per extension (tokscale clients.rs; cline/cline src/core/storage/disk.ts GlobalFileNames)
EXTENSIONS = {
    "cline": "saoudrizwan.claude-dev", "roo": "rooveterinaryinc.roo-cline", "kilo": "kilocode.kilo-code",
}  # fmt: skip
NAMES = {"cline": "Cline", "roo": "Roo Code", "kilo": "Kilo Code"}
# VS Code-family hosts: <app data>/<Host>/User (vibe-usage cline.js, roo-code.js; LOG-FORMATS §3.6)
HOSTS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf", "Kiro", "Trae", "Trae CN")
REMOTE_SERVERS = (".vscode-server", ".vscode-server-insiders", ".cursor-server", ".windsurf-server")
# where Roo and Kilo move their tasks when the user sets it (their package.json `customStoragePath` settings)
STORAGE_SETTING = {"roo": "roo-cline.customStoragePath", "kilo": "kilo-code.customStoragePath"}
UI_MESSAGES = "ui_messages.json"
DELETED_MARKERS = ("deleted_api_reqs", "api_req_deleted")  # Cline, Roo/Kilo checkpoint restore
USAGE_SAYS = ("api_req_started", *DELETED_MARKERS, "subagent_usage")  # ClineApiReqInfo-shaped `text`
EDIT_TOOLS = {  # ClineSayTool / Roo tool names that change the file at `path`
    "editedExistingFile", "newFileCreated", "appliedDiff", "fileDeleted", "insertContent", "searchAndReplace",
}  # fmt: skip
MAX_TS_MS = 10**14  # the year 5138: a larger "timestamp" is a corrupt field
MAX_HISTORY_BYTES = 64 << 20  # api_conversation_history.json larger than this: only its last <model> is used


def host_user_dirs(env: Environment) -> list[Path]:
    """`<Host>/User` of every VS Code-family host: %APPDATA%, ~/Library/Application Support or XDG config."""
    base = env.app_support()
    dirs = [base / host / "User" for host in HOSTS]
    if env.platform != "win32":  # VS Code remote servers keep their own User dir
        dirs += [env.home / server / "data" / "User" for server in REMOTE_SERVERS]
    return dirs


def _setting(raw: str, key: str) -> str | None:
    """One string setting from a JSONC settings.json, without parsing comments or trailing commas."""
    live = "\n".join(line for line in raw.splitlines() if not line.lstrip().startswith("//"))
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*")', live)
    if not match:
        return None
    try:
        value = decode(match.group(1))
    except ValueError:
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def cline_data_dir(env: Environment) -> Path:
    """CLINE_DATA_DIR > CLINE_DIR/data > ~/.cline/data (cline/cline sdk/packages/shared/src/storage/paths.ts)."""
    explicit = env.var("CLINE_DATA_DIR")
    if explicit and explicit.strip():
        return expand(env, explicit.strip())
    base = env.var("CLINE_DIR")
    return (expand(env, base.strip()) if base and base.strip() else env.home / ".cline") / "data"


class ClineFamily:
    """One VS Code-family extension: `ClineFamily("cline")`, `ClineFamily("roo")`, `ClineFamily("kilo")`."""

    measured = True
    mode = "document"
    conflict = "replace"  # a request row is updated in place; the newest reading wins

    def __init__(self, source_id: str) -> None:
        if source_id not in EXTENSIONS:
            raise ValueError(f"unknown Cline-family extension {source_id!r}")
        self.id = source_id
        self.name = NAMES[source_id]
        self.extension = EXTENSIONS[source_id]

    def stores(self, env: Environment) -> list[Path]:
        """Folders holding `tasks/<id>/` (and Cline's `state/taskHistory.json`)."""
        user_dirs = host_user_dirs(env)
        found = [user / "globalStorage" / self.extension for user in user_dirs]
        key = STORAGE_SETTING.get(self.id)
        if key:
            for user in user_dirs:
                try:
                    raw = (user / "settings.json").read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                custom = _setting(raw, key)
                if custom:
                    path = expand(env, custom)
                    if path.is_absolute():
                        found.append(path)
        if self.id == "cline":  # JetBrains and the CLI keep classic tasks here (apps/vscode/src/sdk/legacy-state-reader.ts)
            found.append(cline_data_dir(env))
        if self.id == "kilo":  # the JetBrains plugin's host dir [unverified: third-party notes]
            found.append(env.home / ".kilocode" / "globalStorage" / self.extension)
        return unique(found)

    def roots(self, env: Environment) -> list[Path]:
        return self.stores(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for store in self.stores(env):
            yield from task_files(store / "tasks")
        for folder in extra:
            for path in walk_file_names(str(folder), UI_MESSAGES):
                if os.path.basename(path) == UI_MESSAGES:
                    yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> TaskParser:
        return TaskParser(self.id, context)


def task_files(tasks: Path) -> Iterator[str]:
    """`tasks/<id>/ui_messages.json`, one level deep: never the checkpoint repositories beside them."""
    try:
        with os.scandir(tasks) as listing:
            names = sorted(entry.name for entry in listing if entry.is_dir())
    except OSError:
        return
    for name in names:
        path = os.path.join(tasks, name, UI_MESSAGES)
        if os.path.isfile(path):
            yield path


# --- what the task's other files say ------------------------------------------------------------


@dataclass
class TaskMeta:
    project: str | None = None
    model: str | None = None
    parent: str | None = None
    agent: str | None = None
    host: str | None = None
    model_usage: list[tuple[int, str, str | None]] = field(default_factory=list)  # Cline task_metadata.json
    env_models: list[tuple[int, str, str | None]] = field(default_factory=list)  # Roo/Kilo <model>, <slug>

    def model_at(self, ts: int) -> tuple[str | None, str | None, str | None]:
        """(model, provider, agent) of the request started at `ts`."""
        if self.model_usage:  # Cline records the model just before the request row: the latest at or before
            index = max(bisect.bisect_right([r[0] for r in self.model_usage], ts) - 1, 0)
            return self.model_usage[index][1], self.model_usage[index][2], self.agent
        if self.env_models:  # Roo/Kilo build the request (environment details) just after it: the first at or after
            index = min(bisect.bisect_left([r[0] for r in self.env_models], ts), len(self.env_models) - 1)
            return self.env_models[index][1], None, self.env_models[index][2] or self.agent
        return self.model, None, self.agent


# taskHistory.json is one file for every task: read once per change, per process
_HISTORY: dict[str, tuple[int, int, dict[str, dict[str, Any]]]] = {}


def _task_history(path: Path) -> dict[str, dict[str, Any]]:
    try:
        st = os.stat(path)
    except OSError:
        return {}
    cached = _HISTORY.get(str(path))
    if cached is not None and cached[:2] == (st.st_size, st.st_mtime_ns):
        return cached[2]
    try:
        items = decode(path.read_bytes())
    except (OSError, ValueError):
        items = []
    by_id = {item["id"]: item for item in map(obj, seq(items)) if isinstance(item.get("id"), str)}
    _HISTORY[str(path)] = (st.st_size, st.st_mtime_ns, by_id)
    return by_id


def _read_json(path: Path) -> Any:
    try:
        return decode(path.read_bytes())
    except (OSError, ValueError):
        return None


_TAG = re.compile(rb"<(model|slug)>([^<]{1,200})</\1>")


def _environment_models(path: Path) -> list[tuple[int, str, str | None]]:
    """(ts, model, mode slug) of each user message's `<environment_details>` (tokscale roocode.rs
    extract_model_and_agent reads the last block; here each request gets the block sent with it)."""
    try:
        raw = path.read_bytes() if os.path.getsize(path) <= MAX_HISTORY_BYTES else b""
    except OSError:
        return []
    if b"<model>" not in raw:  # Cline's environment details name no model
        return []
    try:
        messages = seq(decode(raw))
    except ValueError:
        messages = []
    found: list[tuple[int, str, str | None]] = []
    for message in map(obj, messages):
        ts = _when(message.get("ts"))
        if message.get("role") != "user" or ts is None:
            continue
        content = message.get("content")
        texts = [content] if isinstance(content, str) else [b.get("text") for b in map(obj, seq(content))]
        tags = [tag for chunk in texts if isinstance(chunk, str) and "<model>" in chunk
                for tag in _TAG.findall(chunk.encode("utf-8", errors="replace"))]  # fmt: skip
        model, slug = _last_tags(tags)
        if model:
            found.append((ts, model, slug))
    if not found:  # no per-message times: the last environment details stand for the whole task
        start = raw.rfind(b"<environment_details>")
        end = raw.find(b"</environment_details>", start)
        if start >= 0 and end > start:
            model, slug = _last_tags(_TAG.findall(raw[start:end]))
            if model:
                found.append((0, model, slug))
    found.sort(key=lambda r: r[0])
    return found


def _last_tags(tags: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    values: dict[bytes, str] = {}
    for tag, value in tags:
        decoded = value.decode("utf-8", errors="replace").strip()
        if decoded:
            values[tag] = decoded
    return values.get(b"model"), values.get(b"slug")


def _host(path: Path) -> str | None:
    """The editor a task ran in, from `<Host>/User/globalStorage/<ext>/tasks/<id>/ui_messages.json`."""
    parts = path.parts
    if len(parts) >= 8 and parts[-5] == "globalStorage" and parts[-6] == "User":
        host = parts[-7] if parts[-7] != "data" else parts[-8].lstrip(".")  # remote: .vscode-server/data/User
        return host.lower()
    return None


def task_meta(ui_messages: Path) -> TaskMeta:
    task_dir = ui_messages.parent
    task_id = task_dir.name
    meta = TaskMeta(host=_host(ui_messages))
    # Cline: <store>/state/taskHistory.json HistoryItem{cwdOnTaskInitialization, shadowGitConfigWorkTree, modelId}
    item = _task_history(task_dir.parent.parent / "state" / "taskHistory.json").get(task_id, {})
    # Roo / Kilo: tasks/<id>/history_item.json {workspace, parentTaskId, mode} (Roo-Code packages/types/src/history.ts)
    roo = obj(_read_json(task_dir / "history_item.json"))
    meta.project = (text(item.get("cwdOnTaskInitialization")) or text(item.get("shadowGitConfigWorkTree"))
                    or text(roo.get("workspace")))  # fmt: skip
    meta.model = text(item.get("modelId"))
    meta.parent = text(roo.get("parentTaskId")) or text(item.get("parentTaskId"))
    meta.agent = text(roo.get("mode"))
    # Cline task_metadata.json model_usage[{ts, model_id, model_provider_id}] (ContextTrackerTypes.ts)
    usage = seq(obj(_read_json(task_dir / "task_metadata.json")).get("model_usage"))
    for entry in map(obj, usage):
        ts, model = _when(entry.get("ts")), text(entry.get("model_id"))
        if ts is not None and model:
            meta.model_usage.append((ts, model, text(entry.get("model_provider_id"))))
    meta.model_usage.sort(key=lambda r: r[0])
    if not meta.model_usage:
        meta.env_models = _environment_models(task_dir / "api_conversation_history.json")
    return meta


# --- ui_messages.json ---------------------------------------------------------------------------


def _protocol(value: Any) -> str | None:
    found = text(value)
    return found.lower() if found and found.lower() in ("anthropic", "openai") else None


def request_tokens(info: dict[str, Any], protocol: str | None) -> Tokens:
    """ClineApiReqInfo tokens normalized (§1.3; RooCodeInc/Roo-Code src/shared/cost.ts). Raises BadCount."""
    tokens_in, output = count(info.get("tokensIn")), count(info.get("tokensOut"))
    reads, writes = count(info.get("cacheReads")), count(info.get("cacheWrites"))
    if protocol == "openai":  # tokensIn already includes cache reads and writes
        tokens_in = max(tokens_in - reads - writes, 0)
    return Tokens(input_uncached=tokens_in, cache_read=reads, cache_write_5m=writes, output=output)


def _when(value: Any) -> int | None:
    """Epoch ms (or seconds, or an ISO string) as written; None when absent or beyond any real date."""
    if isinstance(value, str):
        stripped = value.strip()
        ms = epoch_to_ms(int(stripped[:20])) if stripped.isascii() and stripped.isdigit() else iso_to_ms(stripped)
    else:
        ms = epoch_to_ms(number(value))
    return ms if ms is not None and 0 < ms < MAX_TS_MS else None


class TaskParser(Stateless):
    """One task's `ui_messages.json`, parsed whole: its usage rows, prompts and tool calls."""

    def __init__(self, source: str, context: ParseContext) -> None:
        self.source = source
        self.context = context

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        messages = load_document(path, batch, list)
        if messages is None:
            return batch
        task_id = path.parent.name
        meta = task_meta(path)
        payloads: dict[int, dict[str, Any]] = {}
        protocols: set[str] = set()
        for index, message in enumerate(map(obj, messages)):
            if message.get("type") != "say" or message.get("say") not in USAGE_SAYS:
                continue
            try:
                payload = decode(message.get("text")) if isinstance(message.get("text"), str) else None
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                batch.skipped_lines.append(index + 1)  # a usage message whose JSON cannot be read
                continue
            payloads[index] = payload
            found = _protocol(payload.get("apiProtocol")) or _protocol(message.get("apiProtocol"))
            if found and message.get("say") == "api_req_started":
                protocols.add(found)
        # a marker sums requests that are gone: their protocol is the task's, when the task used only one
        task_protocol = next(iter(protocols)) if len(protocols) == 1 else None
        keys: set[str] = set()
        first = last = None
        for index, message in enumerate(map(obj, messages)):
            if message.get("type") not in ("say", "ask"):
                continue
            ts = _when(message.get("ts"))
            if ts is None:
                continue
            key = f"{task_id}:{ts}"
            if message.get("type") == "say" and message.get("say") in USAGE_SAYS and index not in payloads:
                continue  # counted as a skipped line above
            if index in payloads or message.get("say") == "condense_context":
                if key in keys:  # two usage messages in one millisecond: both kept
                    key = f"{key}:{index}"
                try:
                    event = self._usage(message, payloads.get(index), key, ts, task_id, meta, task_protocol)
                except BadCount:
                    batch.skipped_lines.append(index + 1)
                    continue
                if event is not None:
                    keys.add(key)
                    batch.events.append(event)
            else:
                self._conversation(message, key, ts, task_id, batch)
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
        if first is not None:
            batch.sessions.append(
                SessionInfo(source=self.source, session_id=task_id, ts_ms=first, last_ts_ms=last or 0,
                            project_path=meta.project, parent_session_id=meta.parent, entrypoint=meta.host)  # fmt: skip
            )
        return batch

    def _usage(self, message: dict[str, Any], payload: dict[str, Any] | None, key: str, ts: int, task_id: str,
               meta: TaskMeta, task_protocol: str | None) -> UsageEvent | None:  # fmt: skip
        say = message.get("say")
        if say == "condense_context":  # Roo/Kilo: the summarising call's cost, without tokens
            tokens = Tokens()
            cost = positive_cost(obj(message.get("contextCondense")).get("cost"))
        else:
            assert payload is not None
            protocol = _protocol(payload.get("apiProtocol")) or _protocol(message.get("apiProtocol"))
            if say in DELETED_MARKERS:
                protocol = protocol or task_protocol
            tokens = request_tokens(payload, protocol)
            currency = text(payload.get("currency"))  # newer Cline; a cost in another currency is not kept as USD
            cost = positive_cost(payload.get("cost")) if currency in (None, "USD", "usd") else None
        if cost is None and tokens.total == 0:
            return None  # not filled yet (in flight) or cancelled before any usage: read again on the next rewrite
        model, provider, agent = meta.model_at(ts)
        info = obj(message.get("modelInfo"))  # newer Cline stamps every message (ClineMessageModelInfo)
        model = text(info.get("modelId")) or text((payload or {}).get("model")) or model
        provider = text(info.get("providerId")) or text((payload or {}).get("inferenceProvider")) or provider
        sidechain = say == "subagent_usage" or meta.parent is not None
        return UsageEvent(
            source=self.source,
            dedup_key=key,
            ts_ms=ts,
            tokens=tokens,
            model=model,
            granularity="call" if say in ("api_req_started", "condense_context") else "run",
            session_id=task_id,
            parent_session_id=meta.parent,
            agent="subagents" if say == "subagent_usage" else agent,
            is_sidechain=sidechain,
            project_path=meta.project,
            provider=provider,
            stored_cost=cost,
            stored_cost_unit="usd" if cost is not None else None,
        )

    def _conversation(self, message: dict[str, Any], key: str, ts: int, task_id: str, batch: Batch) -> None:
        """The task text and later user feedback are prompts; `tool` messages are tool calls."""
        if message.get("partial") is True:
            return
        body = message.get("text")
        kind = message.get("say") or message.get("ask")
        typed = message.get("type") == "say" and kind in ("task", "user_feedback")
        if typed and isinstance(body, str) and body.strip():
            batch.prompts.append(prompt(self.source, key, task_id, ts, body, self.context))
        elif kind == "tool" and isinstance(body, str):
            try:
                args = obj(decode(body))
            except ValueError:
                return
            name = text(args.get("tool"))
            if not name:
                return
            path = text(args.get("path"))
            batch.tool_calls.append(
                tool_call(self.source, key, task_id, ts, name, canonical({"tool": name, "path": path}))
            )
            if name in EDIT_TOOLS and path:
                batch.tool_calls[-1].file_path = path


# --- Cline CLI / SDK sessions --------------------------------------------------------------------


def cline_sessions_dir(env: Environment) -> Path:
    """`CLINE_SESSION_DATA_DIR` > <data dir>/sessions (cline/cline sdk/packages/shared/src/storage/paths.ts)."""
    explicit = env.var("CLINE_SESSION_DATA_DIR")
    if explicit and explicit.strip():
        return expand(env, explicit.strip())
    return cline_data_dir(env) / "sessions"


class ClineCli:
    """The Cline CLI / SDK session store (also written by the SDK-based extension and JetBrains plugin)."""

    id = "cline-cli"
    part_of = "cline"  # one assistant, two readers: `--source cline` and the settings cover both
    name = "Cline CLI"
    measured = True
    mode = "database"  # parsed whole on change; rows are kept if compaction or a rewind drops messages
    conflict = "replace"

    def roots(self, env: Environment) -> list[Path]:
        return [cline_sessions_dir(env)]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for folder in [*self.roots(env), *extra]:
            for path in walk_file_names(str(folder), ".messages.json"):
                yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> SessionParser:
        return SessionParser(context)


def _project(manifest: dict[str, Any]) -> str | None:
    """workspace_root, else cwd (session-manifest.ts); the shared chat workspace is no project."""
    for name in ("workspace_root", "cwd"):
        found = text(manifest.get(name))
        if found:
            parts = Path(found.replace("\\", "/")).parts
            return None if parts[-2:] == ("workspaces", "chat") else found
    return None


class SessionParser(Stateless):
    """`<sessions>/<root id>/<stem>.messages.json` (messages-contract-v1.md): the root session's file has
    the session id as stem; a subagent's or teammate's file sits beside it under its agent id."""

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        data = load_document(path, batch, dict)
        if data is None:
            return batch
        stem = path.name[: -len(".messages.json")]
        root_id = path.parent.name
        manifest = obj(_read_json(path.with_name(f"{stem}.json")))
        root_manifest = manifest if stem == root_id else obj(_read_json(path.with_name(f"{root_id}.json")))
        session_id = text(data.get("sessionId")) or text(manifest.get("session_id")) or stem
        parent = root_id if stem != root_id and session_id != root_id else None
        project = _project(manifest) or _project(root_manifest)
        model, provider = text(manifest.get("model")), text(manifest.get("provider"))
        fallback_ts = iso_to_ms(text(manifest.get("started_at"))) or int(os.stat(path).st_mtime_ns // 1_000_000)
        agent = text(data.get("agent"))
        first = last = None
        assistant_index = 0
        for index, message in enumerate(map(obj, seq(data.get("messages")))):
            ts = _when(message.get("ts"))
            role = message.get("role")
            if role == "user":
                self._user(message, session_id, ts, index, batch)
                continue
            if role != "assistant":
                continue
            info = obj(message.get("modelInfo"))
            model = text(info.get("id")) or model  # a turn's earlier messages carry the model, its last the metrics
            provider = text(info.get("provider")) or provider
            when = ts if ts is not None else (last if last is not None else fallback_ts)
            self._tools(message, session_id, when, batch)
            metrics = message.get("metrics")
            if not isinstance(metrics, dict):
                continue
            key = f"{session_id}:{text(message.get('id')) or f'#{assistant_index}'}"
            assistant_index += 1
            try:
                inp, out = count(metrics.get("inputTokens")), count(metrics.get("outputTokens"))
                read, write = count(metrics.get("cacheReadTokens")), count(metrics.get("cacheWriteTokens"))
                # inputTokens is the full prompt, cache included (cline/cline sdk/packages/core/src/services/usage.ts)
                tokens = Tokens(input_uncached=max(inp - read - write, 0), cache_read=read, cache_write_5m=write, output=out)
            except BadCount:
                batch.skipped_lines.append(index + 1)
                continue
            cost = positive_cost(metrics.get("cost"))
            if cost is None and tokens.total == 0:
                continue
            batch.events.append(
                UsageEvent(source="cline", dedup_key=key, ts_ms=when, tokens=tokens, model=model, granularity="turn",
                           session_id=session_id, parent_session_id=parent,
                           agent=agent if agent not in (None, "lead") else None, is_sidechain=parent is not None,
                           project_path=project, provider=provider, stored_cost=cost,
                           stored_cost_unit="usd" if cost is not None else None, raw_offset=index)  # fmt: skip
            )
            first = when if first is None else min(first, when)
            last = when if last is None else max(last, when)
        start = iso_to_ms(text(manifest.get("started_at"))) or first
        if start is not None:
            end = iso_to_ms(text(manifest.get("ended_at"))) or last or 0
            batch.sessions.append(
                SessionInfo(source="cline", session_id=session_id, ts_ms=start, last_ts_ms=end, project_path=project,
                            parent_session_id=parent, entrypoint=text(manifest.get("source")) or "cli",
                            is_headless=manifest.get("interactive") is False)  # fmt: skip
            )
        return batch

    def _user(self, message: dict[str, Any], session_id: str, ts: int | None, index: int, batch: Batch) -> None:
        blocks = list(map(obj, seq(message.get("content"))))
        for block in blocks:
            call_id = text(block.get("tool_use_id"))
            if block.get("type") == "tool_result" and block.get("is_error") is True and call_id:
                batch.tool_errors.append(ToolError("cline", call_id))
        if ts is None or any(b.get("type") == "tool_result" for b in blocks):
            return
        texts = [b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)]
        body = "\n".join(texts)
        if body.strip():
            key = text(message.get("id")) or f"#{index}"
            batch.prompts.append(prompt("cline", f"{session_id}:{key}", session_id, ts, body, self.context))

    def _tools(self, message: dict[str, Any], session_id: str, ts: int, batch: Batch) -> None:
        for block in map(obj, seq(message.get("content"))):
            call_id, name = text(block.get("id")), text(block.get("name"))
            if block.get("type") == "tool_use" and call_id and name:
                args = canonical(block.get("input"))
                batch.tool_calls.append(tool_call("cline", call_id, session_id, ts, name, args))


# --- Kilo CLI ------------------------------------------------------------------------------------


def kilo_data_dirs(env: Environment) -> list[Path]:
    """KILO_DATA_DIR (a comma list, ccusage adapter/kilo/paths.rs), else the XDG data dir as OpenCode uses."""
    configured = env.var("KILO_DATA_DIR")
    if configured:
        return [expand(env, part.strip()) for part in configured.split(",") if part.strip()]
    return unique([env.xdg_data_home() / "kilo", env.home / ".local" / "share" / "kilo"])


class KiloCli:
    """Kilo CLI's `kilo.db` (an OpenCode fork): OpenCode's database reader, rows stored as `kilo`."""

    id = "kilo-cli"
    part_of = "kilo"
    name = "Kilo CLI"
    measured = True
    mode = "database"
    conflict = "replace"

    def roots(self, env: Environment) -> list[Path]:
        return kilo_data_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(self.roots(env), extra, "kilo.db")

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> KiloParser:
        return KiloParser(state, context)


class KiloParser:
    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.inner = DatabaseParser(state, context)

    def state(self) -> dict[str, Any]:
        return self.inner.state()

    def parse_whole(self, path: Path) -> Batch:
        batch = self.inner.parse_whole(path)
        for record in (*batch.events, *batch.sessions, *batch.prompts, *batch.tool_calls, *batch.tool_errors):
            record.source = "kilo"
        return batch
