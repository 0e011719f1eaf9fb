"""The other assistants of the mixed benchmark corpus (LOG-FORMATS §3.3-§3.10): Gemini CLI, Qwen Code,
GitHub Copilot CLI, pi, Amp and OpenCode, each at its default Linux path, each with its ugly cases.

The ground truth is the billed calls written here, in the report's token meanings (LOG-FORMATS §1.3):
input = plain-rate input (cache reads and writes removed), output = all output with reasoning once,
reasoning shown on its own. Per source:

- gemini: `tokens.input` holds the cache and `thoughts` are outside `output`, so a call counts
  input - cached + tool, cached, output + thoughts (reasoning = thoughts).
- qwen: the ledger, Gemini semantics: input - cached, cached, output + thoughts.
- copilot: one row per `modelMetrics` entry per `session.shutdown`, dated by the shutdown:
  input - cacheRead - cacheWrite, cacheRead, cacheWrite, output (reasoning inside it).
- pi, amp: input already excludes the cache; pi's reasoning is inside output.
- opencode: one row per assistant message; `tokens.output` includes reasoning when there is no
  `tokens.total` (AI SDK v5), excludes it when there is (v6).

Everything random comes from one rng of its own, so the Claude and Codex part of the corpus is the
same as without the mix for the same bytes. Text comes from the shared pools (already JSON-escaped).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import random
import re
import sqlite3
import time
from pathlib import Path

from ._common import (
    DAY_MS,
    HOUR_MS,
    MIN_MS,
    PERIOD_END_MS,
    PERIOD_START_MS,
    Features,
    Ids,
    Truth,
    iso,
    utc_date,
)

MIX_SHARE = 0.25  # of the corpus bytes
MIX_SOURCES = ("gemini", "qwen", "copilot", "pi", "amp", "opencode")
SHARES = {"gemini": 0.24, "qwen": 0.10, "copilot": 0.14, "pi": 0.20, "amp": 0.14, "opencode": 0.18}
MIX_DIRS = (".gemini", ".qwen", ".copilot", ".pi", ".local")  # what generate() refuses to overwrite
TEXT_CAP = 12_000  # the longest tool output or answer, in characters
CWDS = (
    "/home/dev/shop-api",
    "/home/dev/work/infra-tools",
    "/home/dev/src/tokenmirror",
    "/home/dev/my_project",
    "/home/dev/notes/Документы",
    "/home/dev/oss/fastjson.rs",
)
_SHELL = ("rg -n retry src", "pytest -q", "sed -n 1,200p src/app.py", "git diff", "cargo test", "ls -la")


def _ms(y: int, m: int, d: int, h: int = 0) -> int:
    return calendar.timegm((y, m, d, h, 0, 0)) * 1000


def _day0(ms: int) -> int:
    return ms - ms % DAY_MS


def _month_end_evening(ms: int) -> int:
    """16:00 UTC on the last day of the month of `ms`: past midnight in UTC+8, so the next local month."""
    t = time.gmtime(ms // 1000)
    last = calendar.monthrange(t.tm_year, t.tm_mon)[1]
    return _ms(t.tm_year, t.tm_mon, last, 16)


_TITLE_WORDS = (
    "fix retry loop parser cache tests refactor config migration flaky upload schema handler timeout "
    "build docs release index"
).split()


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(_TITLE_WORDS) for _ in range(rng.randrange(2, 6))).capitalize()


def _out(rng: random.Random) -> int:
    return int(rng.lognormvariate(5.5, 1.0)) + 10


class Mix:
    """What the writers share: the rng, ids, pools, the ground truth and the byte and file counts."""

    def __init__(self, g, seed: int) -> None:
        self.rng = random.Random(f"tokenmirror-bench:{seed}:mix")
        self.ids = Ids(self.rng)
        self.pools = g.pools
        self.truth: Truth = g.truth
        self.sink = g.sink
        self.root = Path(g.sink.root)
        self.cases: dict[str, dict[str, Truth]] = {}  # calls that exist only because of one case
        self.tag: str | None = None
        self._dirs: set[Path] = set()
        for source in MIX_SOURCES:
            self.sink.bytes.setdefault(source, 0)
            self.sink.files.setdefault(source, 0)

    def write(self, rel: str, data: str | bytes, source: str, log: bool = True) -> int:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = self.root / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        with open(path, "wb") as f:
            f.write(raw)
        self.count(source, len(raw), log)
        return len(raw)

    def count(self, source: str, nbytes: int, log: bool = True) -> None:
        self.sink.bytes[source] += nbytes
        self.sink.files[source] += int(log)

    def call(
        self, ms: int, source: str, model: str, inp: int, out: int, cwrite: int, cread: int, reasoning: int
    ) -> None:
        """One billed call, in the report's meanings (out includes reasoning once)."""
        self.truth.add(ms, source, model, inp, out, cwrite, cread, reasoning)
        if self.tag:
            case = self.cases.setdefault(source, {}).setdefault(self.tag, Truth())
            case.add(ms, source, model, inp, out, cwrite, cread, reasoning)


class _Writer:
    source = ""
    FEATURES: tuple[str, ...] = ()
    FIRST_MS = PERIOD_START_MS  # the first session of this assistant's history

    def __init__(self, mx: Mix) -> None:
        self.mx = mx
        self.rng = mx.rng
        self.ids = mx.ids
        self.feats = Features(mx.rng, self.FEATURES)
        self.size = 0
        self.cap = TEXT_CAP

    def text(self, lo: int, hi: int) -> str:
        return self.mx.pools.take(self.rng, self.rng.randrange(lo, max(lo + 1, hi)))

    def want(self, name: str, p: float) -> bool:
        return self.feats.want(name, p)

    def mark(self, name: str) -> None:
        self.feats.mark(name)

    def write(self, rel: str, data: str, log: bool = True) -> None:
        self.size += self.mx.write(rel, data, self.source, log)

    def owes(self, names: tuple[str, ...] | None = None) -> bool:
        return any(n not in self.feats.seen for n in (names or self.FEATURES))

    def fill(self, target: int, first: int, last: int, names: tuple[str, ...] | None = None) -> None:
        """Sessions in time order until the byte target is reached and every case has appeared."""
        rng = self.rng
        base = self.size
        span = max(DAY_MS, last - first - DAY_MS)
        mean = min(300_000, max(6_000, target // 25))
        i = 0
        while self.size - base < target or (i < 300 and self.owes(names)):
            done = self.size - base
            budget = min(int(mean * rng.uniform(0.3, 1.7)), max(3000, target - done))
            start = first + int(span * min(1.0, done / max(1, target))) + rng.randrange(12 * HOUR_MS)
            self.feats.turn = i
            self.cap = min(TEXT_CAP, max(300, budget // 8))  # small sessions: small lines too
            self.session(start, budget)
            i += 1

    def fill_all(self, target: int) -> None:
        self.fill(target, self.FIRST_MS, PERIOD_END_MS)

    def session(self, start: int, budget: int) -> None:
        raise NotImplementedError


# --- Gemini CLI (§3.3) -----------------------------------------------------------------------------

GEMINI_FIRST_MS = _ms(2025, 8, 1)
GEMINI_SLUG_MS = _ms(2026, 2, 1)  # v0.29: project folders named by slug (projects.json, .project_root)
GEMINI_JSONL_MS = _ms(2026, 4, 9)  # v0.39: .jsonl recordings instead of the legacy .json documents
GEMINI_MODELS = ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-pro-preview")
G_META = '{"sessionId":"%s","projectHash":"%s","startTime":"%s","lastUpdated":"%s"%s}\n'
G_USER = '{"id":"%s","timestamp":"%s","type":"user","content":[{"text":"%s"}]}'
G_MODEL = '{"id":"%s","timestamp":"%s","type":"gemini","content":"%s","thoughts":[%s],"model":"%s"%s%s}'
G_THOUGHT = '{"subject":"%s","description":"%s","timestamp":"%s"}'
G_TOKENS = ',"tokens":{"input":%d,"output":%d,"cached":%d,"thoughts":%d,"tool":%d,"total":%d}'
G_TOOLS = (
    ',"toolCalls":[{"id":"%s","name":"run_shell_command","args":{"command":"%s"},'
    '"result":[{"functionResponse":{"id":"%s","name":"run_shell_command",'
    '"response":{"output":"%s"}}}],"status":"success","timestamp":"%s","displayName":"Shell",'
    '"description":"Runs a shell command","resultDisplay":"%s","renderOutputAsMarkdown":false}]'
)
G_ERROR = (
    '{"id":"%s","timestamp":"%s","type":"error","content":"[API Error: 429 RESOURCE_EXHAUSTED: '
    "Quota exceeded for quota metric 'Generate Content API requests per minute']\"}"
)
G_INFO = '{"id":"%s","timestamp":"%s","type":"info","content":"Switched to model %s"}'
G_SET = '{"$set":{"lastUpdated":"%s"}}\n'
G_REWIND = '{"$rewindTo":"%s"}\n'
G_DOC = '{"sessionId":"%s","projectHash":"%s","startTime":"%s","lastUpdated":"%s","messages":[%s]}'


class _GSession:
    __slots__ = ("ctx", "cwd", "finals", "first", "jsonl", "lines", "model", "phash", "sid", "size", "t")

    def __init__(self, sid: str, t: int, model: str, cwd: str, jsonl: bool) -> None:
        self.sid, self.t, self.model, self.cwd, self.jsonl = sid, t, model, cwd, jsonl
        self.phash = hashlib.sha256(cwd.encode()).hexdigest()
        self.ctx, self.first = 0, True
        self.lines: list[str] = []
        self.finals: list[str] = []  # the last copy of every message record, in order
        self.size = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)

    def message(self, record: str) -> None:
        self.finals.append(record)
        if self.jsonl:
            self.add(record + "\n")
        else:
            self.size += len(record)


class GeminiWriter(_Writer):
    source = "gemini"
    FEATURES = (
        "tool_tokens",
        "api_error",
        "rewind",
        "checkpoint",
        "subagent",
        "model_switch",
        "legacy_resumed",
    )

    def __init__(self, mx: Mix) -> None:
        super().__init__(mx)
        self.slugs: dict[str, str] = {}
        self.legacy_phase = False  # before v0.39: .json documents only

    def fill_all(self, target: int) -> None:
        legacy = int(target * 0.3)
        self.legacy_phase = True
        self.fill(legacy, GEMINI_FIRST_MS, GEMINI_JSONL_MS, names=("legacy_json",))
        self.legacy_phase = False
        self.fill(target - legacy, GEMINI_JSONL_MS, PERIOD_END_MS)
        projects = json.dumps({"projects": self.slugs}, ensure_ascii=False, indent=2)
        self.write(".gemini/projects.json", projects, log=False)

    def _chats(self, cwd: str, start: int) -> str:
        if start < GEMINI_SLUG_MS:
            return ".gemini/tmp/%s/chats" % hashlib.sha256(cwd.encode()).hexdigest()
        slug = self.slugs.get(cwd)
        if slug is None:
            slug = re.sub(r"[^a-z0-9]+", "-", os.path.basename(cwd).lower()).strip("-") or "project"
            while slug in self.slugs.values():
                slug += "-1"
            self.slugs[cwd] = slug
            self.write(".gemini/tmp/%s/.project_root" % slug, cwd, log=False)
        return ".gemini/tmp/%s/chats" % self.slugs[cwd]

    @staticmethod
    def _name(sid: str, start: int) -> str:
        t = time.gmtime(start // 1000)
        return "session-%04d-%02d-%02dT%02d-%02d-%s" % (t[0], t[1], t[2], t[3], t[4], sid[:8])

    def _new(self, start: int, jsonl: bool, cwd: str | None = None) -> _GSession:
        models = GEMINI_MODELS if start >= _ms(2025, 11, 18) else GEMINI_MODELS[:2]
        model = self.rng.choices(models, (5, 3, 2)[: len(models)])[0]
        S = _GSession(self.ids.uuid4(), start, model, cwd or self.rng.choice(CWDS), jsonl)
        S.ctx = self.rng.randrange(8000, 25_000)  # system prompt, tools, GEMINI.md
        return S

    def session(self, start: int, budget: int) -> None:
        if self.legacy_phase:
            self.mx.tag = "legacy_json"
            S = self._new(start, jsonl=False)
            self._turns(S, budget)
            self._document(S, start)
            self.mark("legacy_json")
            self.mx.tag = None
            return
        if self.want("legacy_resumed", 0.03):
            self._legacy_resumed(start, budget)
            return
        S = self._new(start, jsonl=True)
        S.add(G_META % (S.sid, S.phash, iso(start), iso(start), ""))
        chats = self._chats(S.cwd, start)
        self._turns(S, budget, chats)
        self.write("%s/%s.jsonl" % (chats, self._name(S.sid, start)), "".join(S.lines))

    def _document(self, S: _GSession, start: int) -> None:
        """A legacy session: one document, rewritten in full on every update; the last state is on disk."""
        doc = G_DOC % (S.sid, S.phash, iso(start), iso(S.t), ",".join(S.finals))
        self.write("%s/%s.json" % (self._chats(S.cwd, start), self._name(S.sid, start)), doc)

    def _legacy_resumed(self, start: int, budget: int) -> None:
        """A legacy session resumed on v0.39+: the whole conversation is copied into a .jsonl next to the
        .json (which stays), then the new turns follow. Each call once."""
        rng = self.rng
        self.mx.tag = "legacy_resumed"
        first = GEMINI_JSONL_MS - rng.randrange(1, 10) * DAY_MS + rng.randrange(8 * HOUR_MS, 16 * HOUR_MS)
        S = self._new(first, jsonl=False)
        self._turns(S, budget // 2)
        self._document(S, first)
        S.jsonl = True
        S.add(G_META % (S.sid, S.phash, iso(first), iso(S.t), ""))
        for record in S.finals:
            S.add(record + "\n")
        S.t = max(S.t, start)
        chats = self._chats(S.cwd, first)
        self._turns(S, S.size + budget // 2, chats)
        self.write("%s/%s.jsonl" % (chats, self._name(S.sid, first)), "".join(S.lines))
        self.mark("legacy_resumed")
        self.mx.tag = None

    def _turns(self, S: _GSession, budget: int, chats: str | None = None) -> None:
        later = set()
        if S.jsonl:  # cases of a second turn
            later = {name for name in ("rewind", "model_switch") if self.want(name, 0.06)}
        i = 0
        while S.size < budget or i == 0 or (later and i < 2):
            self._turn(S, i, later if i == 1 else ())
            if i == 0 and S.jsonl and chats and self.want("subagent", 0.08):
                self._subagent(S, chats)
            i += 1

    def _turn(self, S: _GSession, i: int, cases=()) -> None:
        rng = self.rng
        S.t += rng.randrange(20_000, 600_000)
        uid = self.ids.uuid4()
        prompt = self.text(30, self.cap // 8)
        turn_at = len(S.finals)
        S.message(G_USER % (uid, iso(S.t), prompt))
        S.ctx += len(prompt) // 4
        if S.jsonl and self.want("api_error", 0.04):
            S.t += rng.randrange(1000, 20_000)
            S.message(G_ERROR % (self.ids.uuid4(), iso(S.t)))  # a notice, not a billed call
            self.mark("api_error")
        if "model_switch" in cases:
            S.model = GEMINI_MODELS[1] if S.model != GEMINI_MODELS[1] else GEMINI_MODELS[0]
            S.message(G_INFO % (self.ids.uuid4(), iso(S.t), S.model))
            self.mark("model_switch")
        steps = rng.randrange(1, 6)
        for k in range(steps):
            self._response(S, tool=k < steps - 1)
        if S.jsonl:
            if "rewind" in cases:
                S.add(G_REWIND % uid)  # drops the turn for resume only: its calls were billed
                del S.finals[turn_at:]
                self.mark("rewind")
            elif self.want("checkpoint", 0.03) and sum(map(len, S.finals)) < 400_000:
                # repeats every message, tokens included: never counted again
                S.add('{"$set":{"messages":[%s]}}\n' % ",".join(S.finals))
                self.mark("checkpoint")
            S.add(G_SET % iso(S.t))

    def _response(self, S: _GSession, tool: bool) -> None:
        rng, mx = self.rng, self.mx
        S.t += rng.randrange(2000, 40_000)
        mid = self.ids.uuid4()
        inp = S.ctx + rng.randrange(300, 3000)
        cached = 0 if S.first else min(inp, int(S.ctx * rng.uniform(0.5, 0.95)))
        S.first = False
        out = _out(rng)
        thoughts = rng.randrange(30, 2500) if S.model != GEMINI_MODELS[1] or rng.random() < 0.4 else 0
        tool_tokens = 0
        if self.want("tool_tokens", 0.04):
            tool_tokens = rng.randrange(40, 900)  # toolUsePromptTokenCount: outside the prompt count
            self.mark("tool_tokens")
        total = inp + out + thoughts + tool_tokens
        mx.call(S.t, "gemini", S.model, inp - cached + tool_tokens, out + thoughts, 0, cached, thoughts)
        n_thoughts = rng.randrange(1, 4) if thoughts else 0
        thought_list = ",".join(
            G_THOUGHT % (self.text(10, 60), self.text(40, 500), iso(S.t)) for _ in range(n_thoughts)
        )
        base = (mid, iso(S.t), self.text(20, 400 if tool else self.cap // 4), thought_list, S.model)
        tokens = G_TOKENS % (inp, out, cached, thoughts, tool_tokens, total)
        if S.jsonl:
            S.add(G_MODEL % (*base, "", "") + "\n")  # recorded when the stream ends, tokens attached next
        final = G_MODEL % (*base, tokens, "")
        if tool:
            call_id = "run_shell_command-%d-%s" % (S.t, self.ids.hexs(12))
            output = self.text(200, self.cap)
            if S.jsonl:
                S.add(final + "\n")  # then re-appended once the tool call has run: the last copy wins
            final = G_MODEL % (
                *base,
                tokens,
                G_TOOLS
                % (call_id, rng.choice(_SHELL), call_id, output, iso(S.t + 900), output[:200].rstrip("\\")),
            )
        S.message(final)
        S.ctx = inp + out + (len(output) // 4 if tool else 0)
        if S.ctx > 600_000:
            S.ctx = rng.randrange(20_000, 60_000)  # chat compression
        if S.jsonl:
            self.mark("reappend")

    def _subagent(self, S: _GSession, chats: str) -> None:
        """`chats/<parent session>/<session>.jsonl`, kind subagent: its calls count like any other."""
        rng = self.rng
        tag, self.mx.tag = self.mx.tag, self.mx.tag or "subagent"
        A = _GSession(self.ids.uuid4(), S.t + rng.randrange(500, 5000), S.model, S.cwd, True)
        A.ctx = rng.randrange(4000, 12_000)
        A.add(G_META % (A.sid, A.phash, iso(A.t), iso(A.t), ',"kind":"subagent"'))
        A.message(G_USER % (self.ids.uuid4(), iso(A.t), self.text(100, 1200)))
        steps = rng.randrange(1, 5)
        for k in range(steps):
            self._response(A, tool=k < steps - 1)
        self.write("%s/%s/%s.jsonl" % (chats, S.sid, A.sid), "".join(A.lines))
        S.t = A.t + rng.randrange(500, 5000)
        self.mark("subagent")
        self.mx.tag = tag


# --- Qwen Code (§3.8) ------------------------------------------------------------------------------

QWEN_FIRST_MS = _ms(2025, 9, 1)
QWEN_LEDGER_MS = _ms(2025, 12, 1)  # builds with the usage ledger
QWEN_OFFSET_MS = 8 * HOUR_MS  # the writer's zone (UTC+8): localDate, localMonth and the file name
QWEN_MODELS = ("qwen3-coder-plus", "qwen3-coder-flash", "qwen3-max")
Q_LEDGER = (
    '{"schemaVersion":1,"id":"%s","timestamp":"%s","localDate":"%s","localMonth":"%s",'
    '"sessionId":"%s","model":"%s","authType":"qwen-oauth","source":"%s","inputTokens":%d,'
    '"outputTokens":%d,"cachedTokens":%d,"thoughtsTokens":%d,"totalTokens":%d,"apiDurationMs":%d}\n'
)
Q_HEAD = (
    '{"uuid":"%s","parentUuid":%s,"sessionId":"%s","timestamp":"%s","type":"%s","cwd":"%s",'
    '"version":"%s","gitBranch":"main"'
)
Q_USER = ',"message":{"role":"user","parts":[{"text":"%s"}]}}\n'
Q_ASSISTANT = (
    ',"model":"%s","message":{"role":"model","parts":[%s{"text":"%s"}%s]},'
    '"usageMetadata":{"promptTokenCount":%d,"candidatesTokenCount":%d,'
    '"cachedContentTokenCount":%d,"thoughtsTokenCount":%d,"totalTokenCount":%d}}\n'
)
Q_CALL = ',{"functionCall":{"id":"%s","name":"run_shell_command","args":{"command":"%s"}}}'
Q_RESULT = (
    ',"message":{"role":"user","parts":[{"functionResponse":{"id":"%s","name":"run_shell_command",'
    '"response":{"output":"%s"}}}]},"toolCallResult":{"callId":"%s","status":"success",'
    '"resultDisplay":"%s"}}\n'
)


class _QSession:
    __slots__ = ("cached_ctx", "ctx", "cwd", "last", "lines", "model", "sid", "size", "t", "version")

    def __init__(self, sid: str, t: int, cwd: str, model: str, version: str) -> None:
        self.sid, self.t, self.cwd, self.model, self.version = sid, t, cwd, model, version
        self.lines: list[str] = []
        self.size = 0
        self.last: str | None = None
        self.ctx = 0
        self.cached_ctx = -1  # no cache before the first call

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line)


class QwenWriter(_Writer):
    source = "qwen"
    FEATURES = ("cache_miss", "thoughts", "local_date", "subagent", "local_month")

    def __init__(self, mx: Mix) -> None:
        super().__init__(mx)
        self.ledger: list[tuple[int, str]] = []
        self.ledger_era = False

    def fill_all(self, target: int) -> None:
        before = int(target * 0.12)
        self.fill(before, QWEN_FIRST_MS, QWEN_LEDGER_MS, names=("pre_ledger",))
        self.ledger_era = True
        self.fill(target - before, QWEN_LEDGER_MS, PERIOD_END_MS)
        self.ledger.sort()
        months: dict[str, list[str]] = {}
        for ts, line in self.ledger:
            local = utc_date(ts + QWEN_OFFSET_MS)
            months.setdefault(local[:7], []).append(line)
        for month, lines in sorted(months.items()):
            self.mx.write(".qwen/usage/token-usage-%s.jsonl" % month, "".join(lines), self.source)

    def session(self, start: int, budget: int) -> None:
        rng = self.rng
        if self.ledger_era and self.want("local_month", 0.02):
            start = _month_end_evening(start) + rng.randrange(4 * HOUR_MS)
        elif self.ledger_era and self.want("local_date", 0.1):
            start = _day0(start) + 16 * HOUR_MS + rng.randrange(5 * HOUR_MS)
        cwd = rng.choice(CWDS)
        version = "0.%d.%d" % (1 + (start - QWEN_FIRST_MS) // (45 * DAY_MS), rng.randrange(4))
        S = _QSession(self.ids.uuid4(), start, cwd, rng.choice(QWEN_MODELS), version)
        S.ctx = rng.randrange(9000, 20_000)
        if not self.ledger_era:
            self.mx.tag = "pre_ledger"  # no ledger yet: the transcript's usageMetadata is the record
            self.mark("pre_ledger")
        i = 0
        while S.size < budget or i == 0:
            self._turn(S)
            if i == 0 and self.ledger_era and self.want("subagent", 0.1):
                self._subagent(S)
            i += 1
        self.mx.tag = None
        rel = ".qwen/projects/%s/chats/%s.jsonl" % (re.sub(r"[^A-Za-z0-9]", "-", cwd), S.sid)
        self.write(rel, "".join(S.lines))

    def _head(self, S: _QSession, kind: str) -> str:
        uid = self.ids.uuid4()
        parent = '"%s"' % S.last if S.last else "null"
        S.last = uid
        return Q_HEAD % (uid, parent, S.sid, iso(S.t), kind, S.cwd, S.version)

    def _turn(self, S: _QSession) -> None:
        rng = self.rng
        S.t += rng.randrange(20_000, 900_000)
        prompt = self.text(30, self.cap // 8)
        S.add(self._head(S, "user") + Q_USER % prompt)
        S.ctx += len(prompt) // 4
        steps = rng.randrange(1, 6)
        for k in range(steps):
            S.t += rng.randrange(2000, 50_000)
            inp, out, cached, thoughts = self._call(S, "main")
            tool = k < steps - 1
            call_id = "call_" + self.ids.b62(24)
            thought = '{"text":"%s","thought":true},' % self.text(20, 400) if thoughts else ""
            fcall = Q_CALL % (call_id, rng.choice(_SHELL)) if tool else ""
            text = self.text(20, 300 if tool else self.cap // 4)
            S.add(
                self._head(S, "assistant")
                + Q_ASSISTANT
                % (S.model, thought, text, fcall, inp, out, cached, thoughts, inp + out + thoughts)
            )
            if tool:
                S.t += rng.randrange(300, 20_000)
                output = self.text(200, self.cap)
                S.add(
                    self._head(S, "tool_result")
                    + Q_RESULT % (call_id, output, call_id, output[:120].rstrip("\\"))
                )
                S.ctx += len(output) // 4

    def _call(self, S: _QSession, origin: str) -> tuple[int, int, int, int]:
        rng = self.rng
        inp = S.ctx + rng.randrange(200, 3000)
        cached = 0 if S.cached_ctx < 0 else min(inp, int(S.cached_ctx * rng.uniform(0.6, 0.98)))
        if cached == 0:
            self.mark("cache_miss")
        S.cached_ctx = inp
        out = _out(rng)
        thoughts = rng.randrange(20, 1500) if S.model == "qwen3-max" or rng.random() < 0.2 else 0
        if thoughts:
            self.mark("thoughts")
        S.ctx = inp + out
        self.mx.call(S.t, "qwen", S.model, inp - cached, out + thoughts, 0, cached, thoughts)
        if self.ledger_era:
            local = utc_date(S.t + QWEN_OFFSET_MS)
            line = Q_LEDGER % (
                self.ids.uuid4(),
                iso(S.t),
                local,
                local[:7],
                S.sid,
                S.model,
                origin,
                inp,
                out,
                cached,
                thoughts,
                inp + out + thoughts,
                rng.randrange(800, 60_000),
            )
            self.ledger.append((S.t, line))
            self.size += len(line)
            if local != utc_date(S.t):
                self.mark("local_date")
            if local[:7] != utc_date(S.t)[:7]:
                self.mark("local_month")
        return inp, out, cached, thoughts

    def _subagent(self, S: _QSession) -> None:
        """A subagent's calls: ledger rows with its name as `source`, not in the main transcript."""
        rng = self.rng
        A = _QSession(S.sid, S.t + rng.randrange(500, 5000), S.cwd, S.model, S.version)
        A.ctx = rng.randrange(5000, 15_000)
        for _ in range(rng.randrange(1, 5)):
            A.t += rng.randrange(2000, 40_000)
            self._call(A, "general-purpose")
            A.ctx += rng.randrange(500, 5000)
        S.t = A.t + rng.randrange(500, 5000)
        self.mark("subagent")


# --- GitHub Copilot CLI (§3.5 A) -------------------------------------------------------------------

COPILOT_FIRST_MS = _ms(2025, 10, 1)
COPILOT_MODELS = ("claude-sonnet-4.5", "gpt-5", "claude-haiku-4.5", "gpt-5-mini")
C_EVENT = '{"type":"%s","data":%s,"id":"%s","timestamp":"%s","parentId":%s%s}\n'
C_START = (
    '{"sessionId":"%s","version":1,"producer":"copilot-agent","copilotVersion":"%s","startTime":"%s",'
    '"selectedModel":"%s","context":{"cwd":"%s","gitRoot":"%s","branch":"%s","repository":"dev/%s"}}'
)
C_RESUME = (
    '{"resumeTime":"%s","eventCount":%d,"context":{"cwd":"%s","gitRoot":"%s","branch":"%s",'
    '"repository":"dev/%s"}}'
)
C_USER = (
    '{"content":"%s","transformedContent":"<current_datetime>%s</current_datetime>\\n\\n%s",'
    '"attachments":[],"interactionId":"%s"}'
)
C_MESSAGE = (
    '{"messageId":"%s","content":"%s","toolRequests":[%s],"interactionId":"%s",'
    '"reasoningText":"%s","outputTokens":%d}'
)
C_REQUEST = (
    '{"toolCallId":"%s","name":"bash","arguments":{"command":"%s","description":"%s"},"type":"function"}'
)
C_TOOL_START = '{"toolCallId":"%s","toolName":"bash","arguments":{"command":"%s","description":"%s"}}'
C_TOOL_DONE = (
    '{"toolCallId":"%s","success":%s,"result":{"content":"%s","detailedContent":"%s"},"toolTelemetry":{}}'
)


class _CSession:
    __slots__ = (
        "branch",
        "count",
        "ctx",
        "cwd",
        "first",
        "key",
        "last_id",
        "lines",
        "model",
        "sid",
        "size",
        "t",
    )

    def __init__(self, sid: str, t: int, cwd: str, model: str, key: str) -> None:
        self.sid, self.t, self.cwd, self.model, self.key = sid, t, cwd, model, key
        self.branch = "main"
        self.lines: list[str] = []
        self.size = self.count = self.ctx = 0
        self.first = True
        self.last_id: str | None = None


class CopilotWriter(_Writer):
    source = "copilot"
    FIRST_MS = COPILOT_FIRST_MS
    FEATURES = (
        "reasoning",
        "model_switch",
        "resume",
        "agent_metrics",
        "auto_model",
        "checkpoint",
        "midnight",
        "crash",
    )

    def _event(self, C: _CSession, kind: str, data: str, agent: str | None = None) -> str:
        eid = self.ids.uuid4()
        parent = '"%s"' % C.last_id if C.last_id else "null"
        line = C_EVENT % (kind, data, eid, iso(C.t), parent, ',"agentId":"%s"' % agent if agent else "")
        C.last_id = eid
        C.lines.append(line)
        C.size += len(line)
        C.count += 1
        return eid

    def session(self, start: int, budget: int) -> None:
        rng = self.rng
        midnight = self.want("midnight", 0.03)
        if midnight:
            start = _day0(start) + 23 * HOUR_MS + rng.randrange(30 * MIN_MS)
        auto = self.want("auto_model", 0.08)
        model = rng.choice(COPILOT_MODELS)
        if self.want("reasoning", 0.0):
            model = "gpt-5"
        cwd = rng.choice(CWDS)
        C = _CSession(self.ids.uuid4(), start, cwd, model, "auto" if auto else model)
        C.ctx = rng.randrange(12_000, 30_000)
        frac = (start - COPILOT_FIRST_MS) / (PERIOD_END_MS - COPILOT_FIRST_MS)
        version = "0.0.%d" % (330 + int(40 * frac)) if start < _ms(2026, 1, 15) else "1.0.%d" % int(12 * frac)
        repo = os.path.basename(cwd)
        self._event(
            C, "session.start", C_START % (C.sid, version, iso(start), C.key, cwd, cwd, C.branch, repo)
        )
        runs = 2 if self.want("resume", 0.12) else 1
        crash = self.want("crash", 0.04)
        switch = self.want("model_switch", 0.08)
        for run in range(runs):
            if run:
                C.t += rng.randrange(10 * MIN_MS, 36 * HOUR_MS)
                self._event(C, "session.resume", C_RESUME % (iso(C.t), C.count, cwd, cwd, C.branch, repo))
                self.mark("resume")
            run_start = C.t
            metrics: dict[str, list[int]] = {}
            agents: dict[str, dict[str, list[int]]] = {}
            i = 0
            while C.size < budget * (run + 1) // runs or i == 0 or (switch and not run and i < 2):
                self._turn(C, metrics)
                if C.key == "auto":  # auto mode settles on a model: the `auto` entry is named after it
                    C.model = C.key = rng.choice(COPILOT_MODELS)
                    self._event(
                        C, "session.model_change", '{"previousModel":"auto","newModel":"%s"}' % C.model
                    )
                    self.mark("auto_model")
                elif i == 0 and switch and not run:
                    new = rng.choice([m for m in COPILOT_MODELS if m != C.model])
                    self._event(
                        C, "session.model_change", '{"previousModel":"%s","newModel":"%s"}' % (C.model, new)
                    )
                    C.model = C.key = new
                    self.mark("model_switch")
                if i == 0 and not run and self.want("agent_metrics", 0.1):
                    self._subagent(C, metrics, agents)
                i += 1
            if self.want("checkpoint", 0.1):
                nano = sum(m[1] for m in metrics.values()) * 1000
                self._event(
                    C, "session.usage_checkpoint", '{"totalNanoAiu":%d,"totalPremiumRequests":%d}' % (nano, i)
                )
                self.mark("checkpoint")
            if crash and run == runs - 1:
                self.mark("crash")  # no shutdown record: this run's tokens are not in the logs
                break
            if midnight and run == 0:
                C.t = max(C.t, _day0(run_start) + DAY_MS + rng.randrange(MIN_MS, 40 * MIN_MS))
            if utc_date(C.t) != utc_date(run_start):
                self.mark("midnight")  # dated by the shutdown: the end of the run
            self._shutdown(C, run_start, metrics, agents)
        self.write(".copilot/session-state/%s/events.jsonl" % C.sid, "".join(C.lines))
        yaml = (
            "id: %s\ncwd: %s\ngit_root: %s\nrepository: dev/%s\nbranch: %s\nsummary: Fix the retry loop\n"
            "summary_count: 1\ncreated_at: %s\nupdated_at: %s\n"
        ) % (C.sid, cwd, cwd, repo, C.branch, iso(start), iso(C.t))
        self.write(".copilot/session-state/%s/workspace.yaml" % C.sid, yaml, log=False)

    def _numbers(self, C: _CSession) -> tuple[int, int, int, int, int]:
        """(input including cache, cache read, cache write, output, reasoning) of one call."""
        rng = self.rng
        if C.model.startswith("claude"):
            write = C.ctx if C.first else rng.randrange(300, 5000)
            read = 0 if C.first else C.ctx
            plain = rng.randrange(3, 60)
            reasoning = 0
        else:
            total_in = C.ctx + rng.randrange(200, 3000)
            read = 0 if C.first else min(total_in, (C.ctx // 128) * 128)
            write, plain = 0, total_in - read
            reasoning = -1
        out = _out(rng)
        if reasoning < 0:
            reasoning = rng.randrange(0, out * 4 // 5 + 1) if rng.random() < 0.8 else 0
            if reasoning:
                self.mark("reasoning")
        C.first = False
        total_in = plain + read + write
        C.ctx = total_in + out
        return total_in, read, write, out, reasoning

    def _call(self, C: _CSession, metrics: dict[str, list[int]], key: str) -> int:
        total_in, read, write, out, reasoning = self._numbers(C)
        m = metrics.setdefault(key, [0, 0, 0, 0, 0, 0])
        for i, v in enumerate((1, total_in, out, read, write, reasoning)):
            m[i] += v
        return out

    def _turn(self, C: _CSession, metrics: dict[str, list[int]], agent: str | None = None) -> None:
        rng = self.rng
        C.t += rng.randrange(30_000, 20 * MIN_MS) if agent is None else rng.randrange(500, 5000)
        interaction = self.ids.uuid4()
        turn = C.count
        if agent is None:
            prompt = self.text(30, self.cap // 8)
            self._event(C, "user.message", C_USER % (prompt, iso(C.t), prompt, interaction))
            self._event(
                C, "assistant.turn_start", '{"turnId":"%d","interactionId":"%s"}' % (turn, interaction)
            )
        steps = rng.randrange(1, 6)
        for k in range(steps):
            C.t += rng.randrange(3000, 60_000)
            out = self._call(C, metrics, C.key)
            tool = k < steps - 1
            call_id = "toolu_" + self.ids.b62(24)
            command, what = rng.choice(_SHELL), self.text(10, 60)
            request = C_REQUEST % (call_id, command, what) if tool else ""
            text = self.text(20, 300 if tool else self.cap // 4)
            reasoning = self.text(20, 600) if rng.random() < 0.5 else ""
            # outputTokens of one message: output only, and already inside the shutdown's modelMetrics
            self._event(
                C,
                "assistant.message",
                C_MESSAGE % (self.ids.uuid4(), text, request, interaction, reasoning, out),
                agent,
            )
            if tool:
                self._event(C, "tool.execution_start", C_TOOL_START % (call_id, command, what), agent)
                C.t += rng.randrange(300, 30_000)
                output = self.text(200, self.cap)
                ok = "true" if rng.random() < 0.9 else "false"
                self._event(
                    C,
                    "tool.execution_complete",
                    C_TOOL_DONE % (call_id, ok, output, output[:100].rstrip("\\")),
                    agent,
                )
                C.ctx += len(output) // 4
        if agent is None:
            self._event(C, "assistant.turn_end", '{"turnId":"%d"}' % turn)

    def _subagent(
        self, C: _CSession, metrics: dict[str, list[int]], agents: dict[str, dict[str, list[int]]]
    ) -> None:
        """A task agent: its events carry agentId; its calls are in modelMetrics and again in agentMetrics."""
        rng = self.rng
        agent = self.ids.uuid4()
        name = rng.choice(("explore", "task", "code-review"))
        self._event(
            C,
            "subagent.started",
            '{"toolCallId":"toolu_%s","agentName":"%s","agentDisplayName":"%s"}'
            % (self.ids.b62(24), name, name.title()),
        )
        main_model, main_key, main_ctx, main_first = C.model, C.key, C.ctx, C.first
        C.model = C.key = "claude-haiku-4.5" if rng.random() < 0.5 else C.model
        C.ctx, C.first = rng.randrange(8000, 20_000), True
        own: dict[str, list[int]] = {}
        for _ in range(rng.randrange(1, 3)):
            before = {k: v[:] for k, v in metrics.items()}
            self._turn(C, metrics, agent)
            for k, v in metrics.items():
                o = own.setdefault(k, [0] * 6)
                for i, x in enumerate(v):
                    o[i] += x - before.get(k, [0] * 6)[i]
        agents[agent] = own
        self._event(
            C, "subagent.completed", '{"toolCallId":"toolu_%s","agentName":"%s"}' % (self.ids.b62(24), name)
        )
        C.model, C.key, C.ctx, C.first = main_model, main_key, main_ctx, main_first
        self.mark("agent_metrics")

    @staticmethod
    def _metric(m: list[int], multiplier: float) -> dict:
        usage = {"inputTokens": m[1], "outputTokens": m[2], "cacheReadTokens": m[3], "cacheWriteTokens": m[4]}
        if m[5]:
            usage["reasoningTokens"] = m[5]
        return {"requests": {"count": m[0], "cost": m[0] * multiplier}, "usage": usage}

    def _shutdown(
        self,
        C: _CSession,
        run_start: int,
        metrics: dict[str, list[int]],
        agents: dict[str, dict[str, list[int]]],
    ) -> None:
        """One run's usage per model; an `auto` entry belongs to the model auto mode switched to."""
        rng = self.rng
        model_metrics = {}
        for key, m in metrics.items():
            model = C.model if key == "auto" else key
            multiplier = 0.33 if "haiku" in key or "mini" in key else 1.0
            model_metrics[key] = self._metric(m, multiplier)
            self.mx.call(C.t, "copilot", model, max(m[1] - m[3] - m[4], 0), m[2], m[4], m[3], m[5])
        data = {
            "shutdownType": "routine",
            "totalPremiumRequests": sum(m[0] for m in metrics.values()),
            "totalApiDurationMs": rng.randrange(10_000, 900_000),
            "sessionStartTime": run_start,
            "codeChanges": {
                "linesAdded": rng.randrange(200),
                "linesRemoved": rng.randrange(80),
                "filesModified": ["src/app.py"],
            },
            "currentModel": C.model,
            "modelMetrics": model_metrics,
        }
        if agents:
            data["agentMetrics"] = {
                a: {"modelMetrics": {k: self._metric(m, 1.0) for k, m in own.items()}}
                for a, own in agents.items()
            }
        self._event(C, "session.shutdown", json.dumps(data, separators=(",", ":")))


# --- pi (§3.10) ------------------------------------------------------------------------------------

PI_FIRST_MS = _ms(2025, 8, 1)
PI_MODELS = (  # (provider, api, model)
    ("anthropic", "anthropic-messages", "claude-sonnet-4-5"),
    ("anthropic", "anthropic-messages", "claude-opus-4-5"),
    ("openai", "openai-responses", "gpt-5.1-codex"),
    ("google", "google-generative-ai", "gemini-2.5-pro"),
)
P_HEADER = '{"type":"session","version":3,"id":"%s","timestamp":"%s","cwd":"%s"%s}\n'
P_MODEL = '{"type":"model_change","id":"%s","parentId":%s,"timestamp":"%s","provider":"%s","modelId":"%s"}\n'
P_THINKING = (
    '{"type":"thinking_level_change","id":"%s","parentId":%s,"timestamp":"%s","thinkingLevel":"%s"}\n'
)
P_USER = (
    '{"type":"message","id":"%s","parentId":%s,"timestamp":"%s","message":{"role":"user","content":'
    '[{"type":"text","text":"%s"}],"timestamp":%d}}\n'
)
P_ASSISTANT = (
    '{"type":"message","id":"%s","parentId":"%s","timestamp":"%s","message":{"role":"assistant",'
    '"content":[%s],"api":"%s","provider":"%s","model":"%s","usage":{"input":%d,"output":%d,'
    '"cacheRead":%d,"cacheWrite":%d%s,"totalTokens":%d,"cost":{"input":%.6f,"output":%.6f,'
    '"cacheRead":%.6f,"cacheWrite":%.6f,"total":%.6f}},"stopReason":"%s"%s,"timestamp":%d}}\n'
)
P_RESULT = (
    '{"type":"message","id":"%s","parentId":"%s","timestamp":"%s","message":{"role":"toolResult",'
    '"toolCallId":"%s","toolName":"bash","content":[{"type":"text","text":"%s"}],"isError":%s,'
    '"timestamp":%d}}\n'
)
P_COMPACTION = (
    '{"type":"compaction","id":"%s","parentId":"%s","timestamp":"%s","summary":"%s",'
    '"firstKeptEntryId":"%s","tokensBefore":%d}\n'
)


class _PSession:
    __slots__ = (
        "api",
        "ctx",
        "cwd",
        "dir",
        "entries",
        "first",
        "last_id",
        "model",
        "provider",
        "rel",
        "sid",
        "size",
        "t",
    )

    def __init__(self, sid: str, t: int, cwd: str, provider: tuple[str, str, str]) -> None:
        self.sid, self.t, self.cwd = sid, t, cwd
        self.provider, self.api, self.model = provider
        self.dir = "--%s--" % cwd.lstrip("/").replace("/", "-").replace(":", "-")
        self.entries: list[tuple[str, str, int]] = []  # (id, line, time) after the header
        self.size, self.ctx, self.first = 0, 0, True
        self.last_id: str | None = None
        self.rel = ""

    def add(self, eid: str, line: str) -> None:
        self.entries.append((eid, line, self.t))
        self.size += len(line)
        self.last_id = eid


class PiWriter(_Writer):
    source = "pi"
    FIRST_MS = PI_FIRST_MS
    FEATURES = ("model_change", "error_turn", "reasoning", "branch", "aborted", "compaction", "branched_from")

    def __init__(self, mx: Mix) -> None:
        super().__init__(mx)
        self.keys: set[tuple] = set()
        self.history: list[_PSession] = []

    def _parent(self, S: _PSession) -> str:
        return '"%s"' % S.last_id if S.last_id else "null"

    @staticmethod
    def _file(S: _PSession) -> str:
        stamp = iso(S.t).replace(":", "-").replace(".", "-")
        return ".pi/agent/sessions/%s/%s_%s.jsonl" % (S.dir, stamp, S.sid)

    def session(self, start: int, budget: int) -> None:
        rng = self.rng
        if self.history and self.want("branch", 0.08):
            self._branch(start, budget)
            return
        provider = rng.choice(PI_MODELS)
        if self.want("reasoning", 0.0):
            provider = PI_MODELS[2]  # an OpenAI model: usage.reasoning, inside output
        S = _PSession(self.ids.uuid4(), start, rng.choice(CWDS), provider)
        S.rel = self._file(S)
        header = P_HEADER % (S.sid, iso(start), S.cwd, "")
        S.ctx = rng.randrange(3000, 9000)
        eid = self.ids.hexs(8)
        S.add(eid, P_MODEL % (eid, "null", iso(S.t), S.provider, S.model))
        eid = self.ids.hexs(8)
        S.add(eid, P_THINKING % (eid, self._parent(S), iso(S.t), rng.choice(("off", "medium", "high"))))
        self._turns(S, budget)
        self.write(S.rel, header + "".join(e[1] for e in S.entries))
        self._remember(S)

    def _remember(self, S: _PSession) -> None:
        S.entries = S.entries[:60]  # enough to branch from; the rest is not needed again
        self.history.append(S)
        if len(self.history) > 10:
            del self.history[0]

    def _branch(self, start: int, budget: int) -> None:
        """A branched session: a new file that replays the parent's entries (same ids, same timestamps)
        under a header naming the parent, then goes on. The replayed calls count once."""
        rng = self.rng
        P = rng.choice(self.history)
        cut = rng.randrange(1, len(P.entries) + 1)
        t = max(start, P.entries[cut - 1][2] + rng.randrange(MIN_MS, 3 * HOUR_MS))
        S = _PSession(self.ids.uuid4(), t, P.cwd, (P.provider, P.api, P.model))
        S.rel = self._file(S)
        parent_path = "/home/dev/%s" % P.rel
        old = self.want("branched_from", 0.3)
        extra = ',"%s":"%s"' % ("branchedFrom" if old else "parentSession", parent_path)
        header = P_HEADER % (S.sid, iso(t), S.cwd, extra)
        S.entries = P.entries[:cut]  # replayed verbatim: ids, parents and timestamps unchanged
        S.size = sum(len(e[1]) for e in S.entries)
        S.last_id = P.entries[cut - 1][0]
        S.ctx, S.first = max(P.ctx // 2, 5000), False
        self._turns(S, S.size + budget)
        self.write(S.rel, header + "".join(e[1] for e in S.entries))
        self.mark("branched_from" if old else "branch")
        self._remember(S)

    def _turns(self, S: _PSession, budget: int) -> None:
        rng = self.rng
        later = {name for name in ("model_change", "compaction") if self.want(name, 0.05)}
        i = 0
        while S.size < budget or i == 0 or (later and i < 2):
            if i == 1 and "model_change" in later:
                provider = rng.choice([p for p in PI_MODELS if p[2] != S.model])
                S.provider, S.api, S.model = provider
                eid = self.ids.hexs(8)
                S.add(eid, P_MODEL % (eid, self._parent(S), iso(S.t), S.provider, S.model))
                S.first = True
                self.mark("model_change")
            if (i == 1 and "compaction" in later) or (i and S.ctx > 180_000):
                eid = self.ids.hexs(8)
                S.add(eid, P_COMPACTION % (eid, S.last_id, iso(S.t), self.text(200, 2000), S.last_id, S.ctx))
                S.ctx = rng.randrange(8000, 20_000)
                S.first = True
                self.mark("compaction")
            self._turn(S)
            i += 1

    def _turn(self, S: _PSession) -> None:
        rng = self.rng
        S.t += rng.randrange(20_000, 900_000)
        eid = self.ids.hexs(8)
        prompt = self.text(30, self.cap // 8)
        S.add(eid, P_USER % (eid, self._parent(S), iso(S.t), prompt, S.t))
        S.ctx += len(prompt) // 4
        if self.want("error_turn", 0.03):
            self._assistant(S, tool=False, stop="error")
        elif self.want("aborted", 0.02):
            self._assistant(S, tool=False, stop="aborted")
        steps = rng.randrange(1, 6)
        for k in range(steps):
            self._assistant(S, tool=k < steps - 1)

    def _numbers(self, S: _PSession) -> tuple[int, int, int, int, int]:
        """(input without cache, output, cache read, cache write, reasoning) of one call."""
        rng = self.rng
        out = _out(rng)
        if S.provider == "anthropic":
            write = S.ctx if S.first else rng.randrange(200, 5000)
            read = 0 if S.first else S.ctx
            plain, reasoning = rng.randrange(1, 40), 0
        else:
            total_in = S.ctx + rng.randrange(200, 3000)
            read = 0 if S.first else min(total_in, (S.ctx // 128) * 128)
            plain, write = total_in - read, 0
            reasoning = rng.randrange(0, out * 4 // 5 + 1) if S.provider == "openai" else 0
        S.first = False
        S.ctx = plain + read + write + out
        return plain, out, read, write, reasoning

    def _assistant(self, S: _PSession, tool: bool, stop: str = "") -> None:
        rng = self.rng
        started = S.t + rng.randrange(300, 3000)
        S.t = started + rng.randrange(2000, 60_000)
        if _day0(S.t) != _day0(started):
            S.t = started  # message.timestamp and the entry's timestamp stay on one UTC day
        eid = self.ids.hexs(8)
        call_id = "toolu_" + self.ids.b62(24)
        blocks = []
        if S.provider == "anthropic" and rng.random() < 0.6:
            blocks.append(
                '{"type":"thinking","thinking":"%s","thinkingSignature":"%s"}'
                % (self.text(40, 1200), self.mx.pools.b64_take(rng, 300))
            )
        blocks.append('{"type":"text","text":"%s"}' % self.text(20, 300 if tool else self.cap // 4))
        if tool:
            blocks.append(
                '{"type":"toolCall","id":"%s","name":"bash","arguments":{"command":"%s"}}'
                % (call_id, rng.choice(_SHELL))
            )
        if stop:  # error and aborted turns carry zero usage: not calls
            usage = (0, 0, 0, 0, 0)
            error = ',"errorMessage":"%s"' % (
                "529 overloaded_error" if stop == "error" else "Request was aborted"
            )
            self.mark("error_turn" if stop == "error" else "aborted")
        else:
            usage = self._numbers(S)
            plain, out, read, write, reasoning = usage
            while (started, S.model, plain, out, read, write) in self.keys:
                out += 1  # two calls never share time, model and every count
            self.keys.add((started, S.model, plain, out, read, write))
            usage = (plain, out, read, write, reasoning)
            self.mx.call(S.t, "pi", S.model, plain, out, write, read, reasoning)
            if reasoning:
                self.mark("reasoning")
            stop, error = ("toolUse" if tool else "stop"), ""
        plain, out, read, write, reasoning = usage
        extra = ',"reasoning":%d' % reasoning if reasoning else ""
        cost = (plain * 3e-6, out * 15e-6, read * 0.3e-6, write * 3.75e-6)
        S.add(
            eid,
            P_ASSISTANT
            % (
                eid,
                S.last_id,
                iso(S.t),
                ",".join(blocks),
                S.api,
                S.provider,
                S.model,
                plain,
                out,
                read,
                write,
                extra,
                plain + out + read + write,
                *cost,
                sum(cost),
                stop,
                error,
                started,
            ),
        )
        if tool:
            S.t += rng.randrange(300, 20_000)
            rid = self.ids.hexs(8)
            output = self.text(200, self.cap)
            failed = "true" if rng.random() < 0.05 else "false"
            S.add(rid, P_RESULT % (rid, S.last_id, iso(S.t), call_id, output, failed, S.t))
            S.ctx += len(output) // 4


# --- Amp (§3.7) ------------------------------------------------------------------------------------

AMP_TIMESTAMPS_MS = _ms(2025, 7, 1)  # older messages have no usage.timestamp
AMP_LEDGER_MS = _ms(2025, 10, 1)
A_USER = '{"role":"user","messageId":%d,"content":[{"type":"text","text":"%s"}],"meta":{"sentAt":%d}}'
A_RESULT = (
    '{"role":"user","messageId":%d,"content":[{"type":"tool_result","toolUseID":"%s",'
    '"run":{"status":"done","result":{"output":"%s","exitCode":%d}}}]}'
)
A_ASSISTANT = (
    '{"role":"assistant","messageId":%d,"content":[%s],"state":{"type":"%s","stopReason":"%s"},'
    '"usage":{"model":"%s","maxInputTokens":168000,"inputTokens":%d,"outputTokens":%d,'
    '"cacheCreationInputTokens":%d,"cacheReadInputTokens":%d,"totalInputTokens":%d%s}}'
)
A_EVENT = (
    '{"id":"%s","timestamp":"%s","model":"%s","credits":%.4f,"tokens":{"input":%d,"output":%d},'
    '"operationType":"inference","fromMessageId":%d%s}'
)
A_THREAD = (
    '{"v":%d,"id":"%s","created":%d,"messages":[%s],"agentMode":"smart","nextMessageId":%d,'
    '"env":{"initial":{"trees":[{"displayName":"%s","uri":"file://%s"}],"platform":{"os":"linux",'
    '"client":"CLI"}}},"title":"%s"%s}'
)


class AmpWriter(_Writer):
    source = "amp"
    FEATURES = ("no_timestamp", "zero_usage", "ledger_partial", "ledger_by_tokens", "free_credits")

    def _model(self, t: int) -> str:
        if t < _ms(2025, 9, 29):
            return "claude-sonnet-4-20250514"
        if t >= _ms(2025, 11, 24) and self.rng.random() < 0.4:
            return "claude-opus-4-5-20251101"
        return "claude-sonnet-4-5-20250929"

    def session(self, start: int, budget: int) -> None:
        rng = self.rng
        old = start < AMP_TIMESTAMPS_MS
        if old:  # times are `created + messageId` seconds: keep such a thread well inside its day
            start = _day0(start) + rng.randrange(6 * HOUR_MS, 18 * HOUR_MS)
            self.mx.tag = "no_timestamp"
            self.mark("no_timestamp")
        ledger = not old and start >= AMP_LEDGER_MS and self.want("ledger_partial", 0.3)
        by_tokens = ledger and self.want("ledger_by_tokens", 0.3)
        tid = "T-" + self.ids.uuid4()
        cwd = rng.choice(CWDS)
        messages: list[str] = []
        events: list[str] = []
        seen: set[tuple] = set()
        size, mid, t, ctx, first = 0, 0, start, rng.randrange(9000, 16_000), True
        model = self._model(start)
        free = self.want("free_credits", 0.05)
        i = 0
        while size < budget or i == 0:
            t += rng.randrange(20_000, 900_000)
            prompt = self.text(30, self.cap // 8)
            messages.append(A_USER % (mid, prompt, t))
            size += len(messages[-1])
            mid += 1
            ctx += len(prompt) // 4
            if self.want("zero_usage", 0.03):  # cancelled before the model answered: zero usage, not a call
                messages.append(A_ASSISTANT % (mid, "", "cancelled", "aborted", model, 0, 0, 0, 0, 0, ""))
                size += len(messages[-1])
                mid += 1
                self.mark("zero_usage")
            steps = rng.randrange(1, 6)
            for k in range(steps):
                tool = k < steps - 1
                t += rng.randrange(2000, 60_000)
                when = start + 1000 * mid if old else t
                write = ctx if first else rng.randrange(200, 5000)
                read = 0 if first else ctx
                plain, out = rng.randrange(1, 40), _out(rng)
                while (plain, out) in seen:
                    out += 1  # a ledger event matched by model and tokens must find only its message
                seen.add((plain, out))
                first = False
                credits = 0.0 if free else round((plain * 3 + out * 15 + read * 0.3 + write * 3.75) / 1e4, 4)
                extra = "" if old else ',"credits":%.4f,"timestamp":"%s"' % (credits, iso(when))
                call_id = "toolu_" + self.ids.b62(24)
                blocks = ['{"type":"text","text":"%s"}' % self.text(20, 300 if tool else self.cap // 4)]
                if rng.random() < 0.5:
                    blocks.insert(
                        0,
                        '{"type":"thinking","thinking":"%s","signature":"%s"}'
                        % (self.text(40, 800), self.mx.pools.b64_take(rng, 200)),
                    )
                if tool:
                    blocks.append(
                        '{"type":"tool_use","id":"%s","name":"Bash","input":{"cmd":"%s"}}'
                        % (call_id, rng.choice(_SHELL))
                    )
                stop = "tool_use" if tool else "end_turn"
                messages.append(
                    A_ASSISTANT
                    % (
                        mid,
                        ",".join(blocks),
                        "complete",
                        stop,
                        model,
                        plain,
                        out,
                        write,
                        read,
                        plain + write + read,
                        extra,
                    )
                )
                size += len(messages[-1])
                self.mx.call(when, "amp", model, plain, out, write, read, 0)
                if ledger and rng.random() < 0.7:  # a partial ledger: some calls only in messages
                    target = "" if by_tokens and not events else ',"toMessageId":%d' % mid
                    events.append(
                        A_EVENT % (self.ids.uuid4(), iso(when), model, credits, plain, out, mid - 1, target)
                    )
                    self.mark("ledger_by_tokens" if not target else "ledger_partial")
                mid += 1
                ctx = plain + read + write + out
                if tool:
                    t += rng.randrange(300, 20_000)
                    output = self.text(200, self.cap)
                    messages.append(A_RESULT % (mid, call_id, output, rng.choice((0, 0, 1))))
                    size += len(messages[-1])
                    mid += 1
                    ctx += len(output) // 4
            if ctx > 160_000:
                ctx, first = rng.randrange(10_000, 20_000), True  # a new thread context after handoff
            i += 1
        if free:
            self.mark("free_credits")
        ledger_doc = ',"usageLedger":{"events":[%s]}' % ",".join(events) if events else ""
        doc = A_THREAD % (
            len(messages) + 3,
            tid,
            start,
            ",".join(messages),
            mid,
            os.path.basename(cwd),
            cwd,
            _title(rng),
            ledger_doc,
        )
        self.write(".local/share/amp/threads/%s.json" % tid, doc)
        self.mx.tag = None


# --- OpenCode (§3.4) -------------------------------------------------------------------------------

OC_V6_MS = _ms(2026, 1, 1)  # AI SDK v6: tokens.total, reasoning outside output
OC_DUAL_FROM, OC_DUAL_TO = _ms(2026, 2, 1), _ms(2026, 3, 15)  # 1.2.x wrote both the DB and the JSON files
OC_MODELS = (
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-opus-4-5"),
    ("openai", "gpt-5.1-codex"),
    ("opencode", "grok-code"),
)
OC_SCHEMA = """
CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, vcs TEXT, name TEXT,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, slug TEXT NOT NULL,
    directory TEXT NOT NULL, title TEXT NOT NULL, version TEXT NOT NULL, share_url TEXT, cost REAL DEFAULT 0,
    tokens_input INTEGER DEFAULT 0, tokens_output INTEGER DEFAULT 0, tokens_reasoning INTEGER DEFAULT 0,
    tokens_cache_read INTEGER DEFAULT 0, tokens_cache_write INTEGER DEFAULT 0, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL, time_compacting INTEGER, time_archived INTEGER);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX message_session_idx ON message (session_id);
CREATE INDEX part_message_idx ON part (message_id);
"""
O_USER = (
    '{"role":"user","time":{"created":%d},"summary":{"diffs":[]},"agent":"%s",'
    '"model":{"providerID":"%s","modelID":"%s"}}'
)
O_ASSISTANT = (
    '{"role":"assistant","time":{"created":%d,"completed":%d},"parentID":"%s","modelID":"%s",'
    '"providerID":"%s","mode":"%s","agent":"%s","path":{"cwd":"%s","root":"%s"},"cost":%s,'
    '"tokens":{%s"input":%d,"output":%d,"reasoning":%d,"cache":{"read":%d,"write":%d}}%s}'
)
O_STEP_FINISH = (
    '{"type":"step-finish","reason":"%s","snapshot":"%s","cost":%s,"tokens":{"input":%d,'
    '"output":%d,"reasoning":%d,"cache":{"read":%d,"write":%d}}}'
)
O_TOOL = (
    '{"type":"tool","callID":"%s","tool":"bash","state":{"status":"completed","input":{"command":"%s"},'
    '"output":"%s","title":"%s","metadata":{"exit":0},"time":{"start":%d,"end":%d}}}'
)


class _OSession:
    __slots__ = (
        "agent",
        "ctx",
        "cwd",
        "first",
        "id",
        "messages",
        "model",
        "parent",
        "provider",
        "size",
        "t",
        "title",
    )

    def __init__(self, sid: str, t: int, cwd: str, provider: str, model: str) -> None:
        self.id, self.t, self.cwd, self.provider, self.model = sid, t, cwd, provider, model
        self.parent: str | None = None
        self.agent = "build"
        self.title = ""
        self.messages: list[tuple[str, int, str, list[str]]] = []  # (id, created, data, part datas)
        self.size, self.ctx, self.first = 0, 0, True


class OpenCodeWriter(_Writer):
    source = "opencode"
    FEATURES = (
        "step_finish",
        "v5_reasoning",
        "v6_reasoning",
        "subagent",
        "zero_tokens",
        "error_partial",
        "fork",
        "json_dual_write",
    )

    def __init__(self, mx: Mix) -> None:
        super().__init__(mx)
        self.projects: dict[str, tuple] = {}
        self.session_rows: list[tuple] = []
        self.message_rows: list[tuple] = []
        self.part_rows: list[tuple] = []
        self.history: list[_OSession] = []
        self.created: set[int] = set()
        self.counter: dict[int, int] = {}

    def _id(self, prefix: str, ms: int) -> str:
        """Identifier.ascending (packages/opencode/src/id/id.ts): 6 bytes of ms * 0x1000 + n, 14 base62."""
        n = self.counter.get(ms, 0)
        self.counter[ms] = n + 1
        return "%s_%012x%s" % (prefix, (ms * 0x1000 + n) & 0xFFFFFFFFFFFF, self.ids.b62(14))

    def _unique(self, ms: int) -> int:
        while ms in self.created:
            ms += 1  # fork fingerprints start with time.created: two originals never share one
        self.created.add(ms)
        return ms

    def fill_all(self, target: int) -> None:
        super().fill_all(target)
        path = self.mx.root / ".local" / "share" / "opencode" / "opencode.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        try:
            conn.executescript(OC_SCHEMA)
            conn.executemany("INSERT INTO project VALUES (?, ?, ?, ?, ?, ?)", self.projects.values())
            conn.executemany(
                "INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, cost, "
                "tokens_input, tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, "
                "time_created, time_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.session_rows,
            )
            conn.executemany("INSERT INTO message VALUES (?, ?, ?, ?, ?)", self.message_rows)
            conn.executemany("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)", self.part_rows)
            conn.commit()
        finally:
            conn.close()
        self.mx.count(self.source, path.stat().st_size)

    def _project(self, cwd: str, t: int) -> str:
        if cwd not in self.projects:
            pid = hashlib.sha1(cwd.encode()).hexdigest()
            self.projects[cwd] = (pid, cwd, "git", os.path.basename(cwd), t, t)
        return self.projects[cwd][0]

    @staticmethod
    def _version(t: int) -> str:
        if t < _ms(2025, 9, 1):
            return "0.5.%d" % (t // DAY_MS % 20)
        return "1.1.%d" % (t // DAY_MS % 30) if t < OC_DUAL_FROM else "1.2.%d" % (t // DAY_MS % 20)

    def session(self, start: int, budget: int) -> None:
        rng = self.rng
        if self.history and self.want("fork", 0.05):
            self._fork(start, budget)
            return
        dual = (
            self.want("json_dual_write", 0.5)
            if OC_DUAL_FROM <= start < OC_DUAL_TO
            else self.want("json_dual_write", 0.0)
        )
        if dual and not OC_DUAL_FROM <= start < OC_DUAL_TO:
            start = OC_DUAL_FROM + rng.randrange(OC_DUAL_TO - OC_DUAL_FROM - DAY_MS)
        provider, model = rng.choice(OC_MODELS)
        if self.want("v5_reasoning" if start < OC_V6_MS else "v6_reasoning", 0.0):
            provider, model = OC_MODELS[2]  # an OpenAI reasoning model
        S = _OSession(self._id("ses", start), start, rng.choice(CWDS), provider, model)
        S.title = _title(rng)
        S.ctx = rng.randrange(9000, 16_000)
        i = 0
        while S.size < budget or i == 0:
            self._turn(S)
            if i == 0 and self.want("subagent", 0.08):
                self._subagent(S)
            i += 1
        if dual:
            self._json_copy(S, start)
        self._finish(S, start)

    def _finish(self, S: _OSession, start: int) -> None:
        pid = self._project(S.cwd, start)
        junk = [0] * 5 if self.rng.random() < 0.7 else [self.rng.randrange(1, 10**6) for _ in range(5)]
        self.session_rows.append(
            (
                S.id,
                pid,
                S.parent,
                self.ids.b62(8).lower(),
                S.cwd,
                S.title,
                self._version(start),
                0.0,
                *junk,
                start,
                S.t,
            )
        )
        self.size += 200
        if S.parent is None:
            S.messages = S.messages[:40]
            self.history.append(S)
            if len(self.history) > 10:
                del self.history[0]

    def _add_message(
        self, S: _OSession, created: int, data: str, parts: list[str], row_t: int | None = None
    ) -> None:
        mid = self._id("msg", created if row_t is None else row_t)
        row_t = created if row_t is None else row_t
        self.message_rows.append((mid, S.id, row_t, row_t + 1000, data))
        for part in parts:
            self.part_rows.append((self._id("prt", row_t), mid, S.id, row_t, row_t + 1000, part))
        S.messages.append((mid, created, data, parts))
        n = len(data) + sum(map(len, parts)) + 90 * (1 + len(parts))
        S.size += n
        self.size += n

    def _turn(self, S: _OSession, prompt: str | None = None) -> None:
        rng = self.rng
        S.t += rng.randrange(20_000, 900_000)
        user_t = self._unique(S.t)
        text = prompt or self.text(30, self.cap // 8)
        self._add_message(
            S, user_t, O_USER % (user_t, S.agent, S.provider, S.model), ['{"type":"text","text":"%s"}' % text]
        )
        user_id = S.messages[-1][0]
        S.ctx += len(text) // 4
        if self.want("zero_tokens", 0.03):  # aborted before the first token: zero usage, not a billed turn
            t0 = self._unique(S.t + rng.randrange(100, 900))
            data = self._assistant_data(
                S,
                t0,
                t0 + 500,
                user_id,
                (0, 0, 0, 0, 0),
                "0",
                ',"error":{"name":"MessageAbortedError","data":{"message":"Aborted"}}',
            )
            self._add_message(S, t0, data, [])
            self.mark("zero_tokens")
        created = self._unique(S.t + rng.randrange(100, 900))
        steps = rng.randrange(1, 6)
        errored = self.want("error_partial", 0.03)
        sums = [0, 0, 0, 0, 0]  # input, output (reasoning included), reasoning, read, write
        parts: list[str] = []
        cost = 0.0
        t = created
        for k in range(steps):
            tool = k < steps - 1
            t += rng.randrange(2000, 40_000)
            numbers = self._numbers(S, created)
            for j, v in enumerate(numbers):
                sums[j] += v
            plain, out, reasoning, read, write = numbers
            step_cost = (
                round((plain * 3 + out * 15 + read * 0.3 + write * 3.75) / 1e6, 6)
                if S.provider != "opencode"
                else 0
            )
            cost += step_cost
            parts.append('{"type":"step-start","snapshot":"%s"}' % self.ids.hexs(40))
            if reasoning:
                parts.append(
                    '{"type":"reasoning","text":"%s","time":{"start":%d,"end":%d}}'
                    % (self.text(40, 1200), t, t + 900)
                )
            parts.append(
                '{"type":"text","text":"%s","time":{"start":%d,"end":%d}}'
                % (self.text(20, 300 if tool else self.cap // 4), t, t + 900)
            )
            if tool:
                output = self.text(200, self.cap)
                parts.append(
                    O_TOOL
                    % ("toolu_" + self.ids.b62(24), rng.choice(_SHELL), output, self.text(10, 60), t, t + 800)
                )
                S.ctx += len(output) // 4
            written_out = out if created < OC_V6_MS else out - reasoning
            # one step's tokens: already inside the message's tokens, never added to them
            parts.append(
                O_STEP_FINISH
                % (
                    "tool-calls" if tool else "stop",
                    self.ids.hexs(40),
                    step_cost,
                    plain,
                    written_out,
                    reasoning,
                    read,
                    write,
                )
            )
            if errored and k == 0 and steps > 1:
                break  # the provider failed mid-turn: the tokens of the steps that ran are kept
        if steps > 1:
            self.mark("step_finish")
        error = ""
        if errored:
            error = ',"error":{"name":"APIError","data":{"message":"Overloaded","statusCode":529,'
            error += '"isRetryable":true}}'
            self.mark("error_partial")
        else:
            error = ',"finish":"stop"'
        data = self._assistant_data(S, created, t + 1000, user_id, tuple(sums), repr(round(cost, 6)), error)
        self._add_message(S, created, data, parts)
        plain, out, reasoning, read, write = sums
        self.mx.call(created, "opencode", S.model, plain, out, write, read, reasoning)
        if reasoning:
            self.mark("v5_reasoning" if created < OC_V6_MS else "v6_reasoning")
        S.t = t + 1000

    def _numbers(self, S: _OSession, created: int) -> tuple[int, int, int, int, int]:
        """(input without cache, output with reasoning, reasoning, cache read, cache write) of one step."""
        rng = self.rng
        out = _out(rng)
        if S.provider == "anthropic":
            write = S.ctx if S.first else rng.randrange(200, 5000)
            read = 0 if S.first else S.ctx
            plain = rng.randrange(1, 40)
            # v5 data leaves the reasoning of non-OpenAI providers open (LOG-FORMATS §6): none written there
            reasoning = rng.randrange(0, out // 2 + 1) if created >= OC_V6_MS and rng.random() < 0.5 else 0
        else:
            total_in = S.ctx + rng.randrange(200, 3000)
            read = 0 if S.first else min(total_in, (S.ctx // 128) * 128)
            plain, write = total_in - read, 0
            reasoning = rng.randrange(0, out * 4 // 5 + 1) if S.provider == "openai" else 0
        S.first = False
        S.ctx = plain + read + write + out
        if S.ctx > 180_000:
            S.ctx, S.first = rng.randrange(10_000, 20_000), True  # compaction
        return plain, out, reasoning, read, write

    def _assistant_data(
        self, S: _OSession, created: int, completed: int, parent: str, sums: tuple, cost: str, tail: str
    ) -> str:
        plain, out, reasoning, read, write = sums
        if created >= OC_V6_MS:  # v6: output without reasoning, and the total
            total = '"total":%d,' % (plain + out + read + write)
            written = out - reasoning
        else:
            total, written = "", out
        return O_ASSISTANT % (
            created,
            completed,
            parent,
            S.model,
            S.provider,
            S.agent,
            S.agent,
            S.cwd,
            S.cwd,
            cost,
            total,
            plain,
            written,
            reasoning,
            read,
            write,
            tail,
        )

    def _subagent(self, S: _OSession) -> None:
        """A child session (session.parent_id): a subagent whose turns count like the parent's."""
        rng = self.rng
        tag, self.mx.tag = self.mx.tag, self.mx.tag or "subagent"
        A = _OSession(self._id("ses", S.t + 500), S.t + 500, S.cwd, S.provider, S.model)
        A.parent, A.agent, A.title = S.id, "general", _title(rng)
        A.ctx = rng.randrange(6000, 12_000)
        for i in range(rng.randrange(1, 3)):
            self._turn(A, self.text(100, 1000) if i == 0 else None)
        self._finish(A, S.t + 500)
        S.t = A.t + rng.randrange(500, 5000)
        self.mark("subagent")
        self.mx.tag = tag

    def _fork(self, start: int, budget: int) -> None:
        """A fork copies the parent's messages under new ids (same times, same tokens), then goes on."""
        rng = self.rng
        P = rng.choice(self.history)
        cut = rng.randrange(1, len(P.messages) + 1)
        fork_t = max(start, P.t + rng.randrange(MIN_MS, 2 * HOUR_MS))
        S = _OSession(self._id("ses", fork_t), fork_t, P.cwd, P.provider, P.model)
        S.title = P.title + " (fork #1)"
        for _mid, created, data, parts in P.messages[:cut]:
            self._add_message(S, created, data, parts, row_t=fork_t)
        S.ctx, S.first = max(5000, P.ctx // 2), False
        S.size = 0
        i = 0
        while S.size < budget or i == 0:
            self._turn(S)
            i += 1
        self._finish(S, fork_t)
        self.mark("fork")

    def _json_copy(self, S: _OSession, start: int) -> None:
        """1.2.x also wrote the legacy files: the same message ids as the DB rows, which alone count."""
        root = ".local/share/opencode/storage"
        pid = self._project(S.cwd, start)
        info = '{"id":"%s","projectID":"%s","directory":"%s","title":"%s","version":"%s",'
        info += '"time":{"created":%d,"updated":%d}}'
        self.write(
            "%s/session/%s/%s.json" % (root, pid, S.id),
            info % (S.id, pid, S.cwd, S.title, self._version(S.t), S.messages[0][1], S.t),
            log=False,
        )
        for mid, _created, data, _parts in S.messages:
            self.write(
                "%s/message/%s/%s.json" % (root, S.id, mid),
                '{"id":"%s","sessionID":"%s",%s' % (mid, S.id, data[1:]),
            )
        self.mark("json_dual_write")


def write_mix(g, target: int, seed: int) -> dict:
    """Writes about `target` bytes of the six other assistants' logs; their calls go into g.truth.

    Returns `features` (how often each ugly case was written, per source) and `cases` (per source and
    case, the report of the calls that exist only in that case's files)."""
    mx = Mix(g, seed)
    writers: list[_Writer] = [
        GeminiWriter(mx),
        QwenWriter(mx),
        CopilotWriter(mx),
        PiWriter(mx),
        AmpWriter(mx),
        OpenCodeWriter(mx),
    ]
    for w in writers:
        w.fill_all(int(target * SHARES[w.source]))
    return {
        "features": {w.source: dict(w.feats.seen) for w in writers},
        "cases": {
            src: {case: t.report() for case, t in sorted(cases.items())}
            for src, cases in sorted(mx.cases.items())
        },
    }
