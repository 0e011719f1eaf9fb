"""Aider: the analytics log (measured) and `.aider.chat.history.md` files (estimates) (LOG-FORMATS §3.13).

Two readers of one assistant, both append-only files read by byte cursor:

- `Aider` reads the analytics log, which Aider writes only when the user asked for it
  (`--analytics-log FILE`, `analytics-log:` in `.aider.conf.yml`, `AIDER_ANALYTICS_LOG`); there is no
  default path. It is looked for in the home `.aider.conf.yml`, in the `.aider.conf.yml` of every
  repository the archive already knows, in `AIDER_ANALYTICS_LOG`, and in the paths the user added
  in settings (`extra_paths["aider"]`: a log file, or a repository folder holding a conf file).
  One `message_send` event is one call: `prompt_tokens` -> input (for Anthropic it includes cache
  writes; it may be Aider's own tokenizer estimate with no flag saying so, so the rows stay
  measured, `is_estimate = 0`, and the UI must say so), `completion_tokens` -> output, `cost` ->
  stored USD. No cache split, no cwd. Key: a hash of the line (the log has no event id). Session:
  the user id plus the `launched` event that started the run (`log:<user>:<launched s>`).
- `AiderHistory` reads `.aider.chat.history.md` at the root of the repositories the archive knows:
  one `> Tokens: 5.2k sent, 604 received.` line is one call, counted as an estimate
  (`is_estimate = 1`): the counts are rounded by `format_tokens` and the cache segments are
  ignored (the "sent" figure already holds cache writes). Every exchange of a session is dated at
  the session's `# aider chat started at` header (local time, no zone: read in this machine's zone),
  because the file has no other time. Key: (file, header, line number).

Never both for one exchange: each `message_send` in the analytics log belongs to a run that starts
with a `launched` event a moment after Aider writes the chat-history header of the same run. A
history session whose header lies 0-300 s (5 s slack for rounding) before the start of an analytics
run is covered by that run: its estimates are dropped and the run's measured rows stand. The archive
enforces it (migration m004, triggers on `usage_event` and `session`), so the order in which the two
files are read does not matter, and a log added later removes estimates stored earlier. Two Aider
runs started within the same five minutes, one logged and one not, would lose the unlogged one's
estimates: accepted, it undercounts estimates and never double counts.

Which repositories the archive knows is not something a file reader can see: ingest hands them in
through `for_archive(conn)` before `discover` (the working directories in `session` and `project_cwd`,
their repository roots, `project`, the `extra_repos` setting, and folders in `extra_paths["aider"]`).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.model import Batch, SessionInfo, Tokens, UsageEvent
from desktop.sources._jsonl_common import BAD_LINE, expand, prompt, unique
from desktop.sources.base import Chunk, Environment, ParseContext, bytes_hash, split_lines, text_hash
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import decode, number, obj, positive_cost, text

SOURCE = "aider"
CONF = ".aider.conf.yml"
HISTORY = ".aider.chat.history.md"
MAX_CONF_BYTES = 1 << 20
REPO_DEPTH = 12  # how far up from a working directory the repository root is looked for
MAX_SECONDS = 10**11  # year 5138: a larger time is a corrupt field (SQLite integers overflow past 9.2e18)

# io.py: `# aider chat started at %Y-%m-%d %H:%M:%S` (datetime.now(): local time, no zone)
_HEADER = re.compile(r"^# aider chat started at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
# base_coder.py get_announcements: `Model:` / `Main model:`; older builds wrote `Models: X with ...`
_MODEL = re.compile(r"^> (?:Main model|Model|Models): (\S+)")
_NUM = r"(\d[\d,]*(?:\.\d+)?k?)"
# base_coder.py calculate_and_show_tokens_and_cost; utils.py format_tokens (1k-10k one decimal, >= 10k rounded)
_TOKENS = re.compile(rf"^> Tokens: {_NUM} sent(?:, {_NUM} cache write)?(?:, {_NUM} cache hit)?, {_NUM} received\.")
_COST = re.compile(r"Cost: \$(\d[\d,]*(?:\.\d+)?) (?:message|request)")


# --- where the files are -------------------------------------------------------------------------


def conf_value(path: Path, *keys: str) -> str | None:
    """A top-level scalar of a small YAML file (`.aider.conf.yml`); the last occurrence wins."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONF_BYTES)
    except OSError:
        return None
    found = None
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line or line[0] in " \t#-":
            continue
        name, sep, rest = line.partition(":")
        if sep and name.strip() in keys:
            found = _scalar(rest)
    return found


def _scalar(rest: str) -> str | None:
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        quote = rest[0]
        end = rest.find(quote, 1)
        while quote == "'" and end > 0 and rest[end + 1 : end + 2] == "'":
            end = rest.find("'", end + 2)  # '' is a quote inside single quotes
        if end < 0:
            return None
        value = rest[1:end]
        return value.replace("''", "'") if quote == "'" else value.replace("\\\\", "\\").replace('\\"', '"')
    value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
    return value or None


def _resolve(env: Environment, value: str, base: Path) -> Path:
    """Aider opens the path as given, relative to where it runs (the repository); `~` is the home."""
    path = expand(env, value)
    return path if path.is_absolute() else base / path


def repo_root(folder: Path) -> Path:
    """The nearest folder at or above `folder` holding `.git`: where Aider keeps its history file."""
    current = folder
    for _ in range(REPO_DEPTH):
        if os.path.exists(current / ".git"):
            return current
        if current.parent == current:
            break
        current = current.parent
    return folder


def known_folders(conn: sqlite3.Connection) -> list[str]:
    """Repository roots the archive knows: where sessions ran, their repositories, the user's own."""
    from desktop.store.settings import Settings

    found: list[str] = []
    # `session` holds every working directory a source recorded, and `project_cwd` every distinct
    # usage_event.project_path once commits were refreshed: both small, unlike usage_event itself
    for query in ("SELECT DISTINCT project_path FROM session WHERE project_path IS NOT NULL",
                  "SELECT cwd FROM project_cwd", "SELECT toplevel FROM project_cwd WHERE toplevel IS NOT NULL",
                  "SELECT root_path FROM project WHERE excluded = 0"):  # fmt: skip
        try:
            found += [row[0] for row in conn.execute(query) if isinstance(row[0], str) and row[0]]
        except sqlite3.OperationalError:
            continue  # an archive without the commit tables yet
    settings = Settings(conn).all()
    found += [p for p in settings["extra_repos"] if isinstance(p, str)]
    found += [p for p in settings["extra_paths"].get(SOURCE, []) if isinstance(p, str)]
    excluded = [os.path.join(os.path.expanduser(p), "") for p in settings["excluded_repos"] if isinstance(p, str)]
    roots: list[str] = []
    seen: set[str] = set()
    for folder in found:
        path = Path(folder).expanduser()
        if not path.is_dir():
            continue
        root = str(repo_root(path))
        if root not in seen and not any(os.path.join(root, "").startswith(x) for x in excluded):
            seen.add(root)
            roots.append(root)
    return roots


def analytics_logs(env: Environment, folders: Sequence[str], extra: Iterable[Path]) -> list[Path]:
    """Every analytics log the user configured, whether or not it exists yet."""
    found: list[Path] = []
    configured = env.var("AIDER_ANALYTICS_LOG")  # configargparse auto_env_var_prefix="AIDER_" (aider/args.py)
    if configured:
        found.append(_resolve(env, configured, env.home))
    home_value = conf_value(env.home / CONF, "analytics-log", "analytics_log")
    if home_value:
        found.append(_resolve(env, home_value, env.home))
    repos = [Path(f) for f in folders]
    for path in extra:
        if path.is_dir():
            repos.append(path)
        else:
            found.append(path)  # a log file named in settings
    for repo in repos:
        value = conf_value(repo / CONF, "analytics-log", "analytics_log")
        if value:
            found.append(_resolve(env, value, repo))
        if home_value and not expand(env, home_value).is_absolute():
            found.append(repo / home_value)  # a relative path in the home conf is relative to each repository
    return unique(found)


class _Reader:
    """What both Aider readers share: the folders of the archive, handed in before discovery."""

    def __init__(self, folders: Sequence[str] = ()) -> None:
        self.folders = tuple(folders)

    def for_archive(self, conn: sqlite3.Connection) -> Any:
        """This reader, knowing the repositories the archive has seen (ingest calls it before discover)."""
        return type(self)(known_folders(conn))


class Aider(_Reader):
    """The analytics log (`message_send` events): measured rows."""

    id = SOURCE
    name = "Aider"
    measured = True
    records_project = False  # the analytics log names no working directory
    note = ("the analytics log is read only where the user turned it on (analytics-log); its input counts may be "
            "Aider's own tokenizer estimate. Chat-history rows are estimates from rounded counts.")
    mode = "append"
    conflict = "first"

    def roots(self, env: Environment) -> list[Path]:
        # ~/.aider holds analytics.json and caches once Aider has run (aider/analytics.py get_data_file_path)
        return unique([env.home / ".aider", *(log.parent for log in analytics_logs(env, (), ()))])

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for path in analytics_logs(env, self.folders, extra):
            if path.is_file():
                yield str(path)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> AnalyticsParser:
        return AnalyticsParser(state)


class AiderHistory(_Reader):
    """`.aider.chat.history.md` in known repositories: estimates. Register it next to `Aider`."""

    id = "aider-history"
    part_of = SOURCE  # one assistant, two readers: `--source aider` and the settings cover both
    name = "Aider (chat history)"
    measured = False
    records_project = True  # the repository the file lives in
    mode = "append"
    conflict = "first"

    def roots(self, env: Environment) -> list[Path]:
        return [env.home / ".aider"]  # Aider's own folder; the history files live in the repositories themselves

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for folder in [*map(Path, self.folders), *extra]:
            if folder.is_file():
                yield str(folder)
                continue
            candidates = [folder / HISTORY]
            custom = conf_value(folder / CONF, "chat-history-file", "chat_history_file")
            if custom:
                candidates.append(_resolve(env, custom, folder))
            for path in unique(candidates):
                if path.is_file():
                    yield str(path)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> HistoryParser:
        return HistoryParser(path, state, context)


# --- the analytics log ---------------------------------------------------------------------------


def _model(value: Any) -> str | None:
    name = text(value)
    return None if name in (None, "None") else name  # Analytics.event() writes str(None) for a missing model


class AnalyticsParser:
    """State: `runs`, the start (unix seconds) of the current run per user id."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.runs: dict[str, int] = {k: int(v) for k, v in dict(state.get("runs", {})).items()}

    def state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions: dict[str, SessionInfo] = {}
        for offset, number_, raw in split_lines(chunk):
            try:
                self._line(offset, raw, batch, sessions)
            except BAD_LINE:
                batch.skipped_lines.append(number_)
        batch.sessions.extend(sessions.values())
        return batch

    def _line(self, offset: int, raw: bytes, batch: Batch, sessions: dict[str, SessionInfo]) -> None:
        # aider/analytics.py Analytics.event: {"event", "properties", "user_id", "time": int(time.time())}
        record = decode(raw)
        if not isinstance(record, dict):
            raise TypeError("not an object")
        event = record.get("event")
        if event not in ("launched", "message_send"):
            return
        seconds = number(record.get("time"))
        if seconds is None or not 0 <= seconds < MAX_SECONDS:
            raise ValueError("event without a usable time")
        ts = int(seconds * 1000)  # int(time.time()): seconds
        user = text(record.get("user_id")) or "?"
        if event == "launched" or user not in self.runs:
            self.runs[user] = int(seconds)
        session_id = f"log:{user}:{self.runs[user]}"
        start = self.runs[user] * 1000
        info = sessions.get(session_id)
        if info is None:
            sessions[session_id] = SessionInfo(source=SOURCE, session_id=session_id, ts_ms=start, last_ts_ms=ts)
        else:
            info.last_ts_ms = max(info.last_ts_ms, ts)
        if event != "message_send":
            return
        props = obj(record.get("properties"))  # base_coder.py show_usage_report
        tokens = Tokens(input_uncached=count(props.get("prompt_tokens")),
                        output=count(props.get("completion_tokens")))  # fmt: skip
        if not (tokens.input_uncached or tokens.output):
            return
        cost = positive_cost(props.get("cost"))
        batch.events.append(
            UsageEvent(source=SOURCE, dedup_key=bytes_hash(raw.strip()), ts_ms=ts, tokens=tokens,
                       model=_model(props.get("main_model")), session_id=session_id, stored_cost=cost,
                       stored_cost_unit="usd" if cost is not None else None, raw_offset=offset)  # fmt: skip
        )


# --- the chat history ----------------------------------------------------------------------------


def rounded_tokens(value: str) -> int:
    """`5.2k` -> 5200, `12k` -> 12000, `5,244` -> 5244 (what format_tokens printed, read back)."""
    value = value.replace(",", "")
    if value.endswith("k"):
        return round(float(value[:-1]) * 1000)
    return int(value)


def local_header_ms(stamp: str) -> int:
    """The header's wall-clock time in this machine's zone (Aider wrote datetime.now(), no zone)."""
    return int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").astimezone().timestamp() * 1000)


class HistoryParser:
    """State: the current session header (`header`, `start`) and the last model announced (`model`)."""

    def __init__(self, path: Path, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.project = str(path.parent)
        self.file_key = text_hash(str(path))[:12]
        self.header: str | None = state.get("header")
        self.start: int | None = state.get("start")
        self.model: str | None = state.get("model")

    def state(self) -> dict[str, Any]:
        return {"header": self.header, "start": self.start, "model": self.model}

    @property
    def session_id(self) -> str:
        return f"md:{self.file_key}:{self.header}"

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        lines = [(offset, number_, raw.decode("utf-8", errors="replace").rstrip())
                 for offset, number_, raw in split_lines(chunk)]  # fmt: skip
        sessions: dict[str, SessionInfo] = {}
        user_lines: list[str] = []
        user_at = 0
        for index, (offset, number_, line) in enumerate(lines):
            if user_lines and not line.startswith("#### "):
                self._prompt(user_lines, user_at, batch)
                user_lines = []
            if line.startswith("#### "):
                if not user_lines:
                    user_at = number_
                user_lines.append(line[5:])
            elif found := _HEADER.match(line):
                try:
                    start = local_header_ms(found.group(1))
                except ValueError:  # a date that does not exist: the exchanges below have no time
                    batch.skipped_lines.append(number_)
                    self.header = self.start = None
                    continue
                self.header, self.start, self.model = found.group(1), start, None
                sessions[self.session_id] = SessionInfo(source=SOURCE, session_id=self.session_id, ts_ms=self.start,
                                                        project_path=self.project)  # fmt: skip
            elif found := _MODEL.match(line):
                self.model = found.group(1)
            elif found := _TOKENS.match(line):
                if self.start is None:
                    batch.skipped_lines.append(number_)  # usage before any session header: no time to give it
                    continue
                following = lines[index + 1][2] if index + 1 < len(lines) else ""
                cost_match = _COST.search(line) or (_COST.match(following) if following.startswith("Cost:") else None)
                cost = positive_cost(float(cost_match.group(1).replace(",", ""))) if cost_match else None
                try:
                    tokens = Tokens(input_uncached=count(rounded_tokens(found.group(1))),
                                    output=count(rounded_tokens(found.group(4))))  # fmt: skip
                except (ValueError, BadCount):
                    batch.skipped_lines.append(number_)
                    continue
                batch.events.append(
                    UsageEvent(source=SOURCE, dedup_key=f"md:{self.file_key}:{self.header}:{number_}", ts_ms=self.start,
                               tokens=tokens, model=self.model, session_id=self.session_id, project_path=self.project,
                               is_estimate=True, stored_cost=cost, stored_cost_unit="usd" if cost is not None else None,
                               raw_offset=offset)  # fmt: skip
                )
        if user_lines:
            self._prompt(user_lines, user_at, batch)
        batch.sessions.extend(sessions.values())
        return batch

    def _prompt(self, user_lines: list[str], line_number: int, batch: Batch) -> None:
        """io.py user_input: `#### ` before every line of one input; commands (`/add`) are not prompts."""
        body = "\n".join(line.rstrip() for line in user_lines).strip()
        if self.start is None or not body or body.startswith("/") or body == "<blank>":
            return
        batch.prompts.append(prompt(SOURCE, f"md:{self.file_key}:{self.header}:{line_number}", self.session_id,
                                    self.start, body, self.context))  # fmt: skip
