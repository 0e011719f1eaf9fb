"""Claude Code transcripts (LOG-FORMATS §3.1): sessions, subagents, and every way a call gets copied.

The writer records each billed call in the ground truth exactly once, when it creates the call;
copies (block lines, snapshots, resumes, sidechain replays) are written without touching it.
"""

from __future__ import annotations

import re

from ._common import (
    CLAUDE_V2_MS,
    CLAUDE_V21_MS,
    MIN_MS,
    Truth,
    day_bounds,
    iso,
)

CLAUDE_MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001")
CLAUDE_MODEL_WEIGHTS = (6, 3, 1)
CLAUDE_FEATURES = (
    "multi_block", "subagent", "streaming", "resume_copy", "gateway", "synthetic", "null_branch",
    "btw_replay", "bad_json", "bad_utf8", "workflow_journal", "cost_null", "compact_agent", "tool_error",
    "cost_usd",
)
PROJECT_CWDS = (
    "/home/dev/shop-api",
    "/home/dev/work/infra-tools",
    "/home/dev/src/tokenmirror",
    "/home/dev/my_project",
    "/home/dev/my-project",  # same folder name as my_project (LOG-FORMATS §3.1: the encoding is lossy)
    "/home/dev/notes/Документы",
    "/home/dev/oss/fastjson.rs",
)
_BRANCHES = ('"main"', '"main"', '"main"', '"feature/checkout"', '"fix/retry-loop"', '""', '"HEAD"')
_AGENT_TYPES = ("general-purpose", "Explore", "Plan", "code-reviewer")
_SYNTHETIC_TEXTS = (
    'API Error: 529 {\\"type\\":\\"error\\",\\"error\\":{\\"type\\":\\"overloaded_error\\",\\"message\\":\\"Overloaded\\"}}',
    "No response requested.",
    "Claude AI usage limit reached|1767225600",
)


def encode_cwd(cwd: str) -> str:
    """The project folder name Claude Code derives from a cwd."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def claude_version(ms: int, rng) -> str:
    if ms < CLAUDE_V2_MS:
        return "1.0.%d" % rng.randrange(60, 128)
    if ms < CLAUDE_V21_MS:
        return "2.0.%d" % rng.randrange(1, 77)
    return "2.1.%d" % rng.randrange(1, 60)


class Session:
    """One transcript file being written: its constant fields, its lines, its clock and context."""

    __slots__ = (
        "rel", "sid", "cwd", "branch", "version", "model", "side", "agent", "gateway", "cost", "cost_null",
        "ttl1h", "thinking", "common", "parent", "parts", "size", "t", "ctx", "cached", "base", "first_call",
        "last_call_t", "responses",
    )

    def __init__(self, rel: str, sid: str, cwd: str, branch: str, version: str, model: str, t: int,
                 side: bool = False, agent: str | None = None) -> None:
        self.rel, self.sid, self.cwd, self.branch, self.version, self.model = rel, sid, cwd, branch, version, model
        self.side, self.agent = side, agent
        self.gateway = self.cost = self.cost_null = self.ttl1h = False
        self.thinking = True
        self.parent = "null"
        self.parts: list[str] = []
        self.size = 0
        self.t = t
        self.ctx = 14_000
        self.cached = 0
        self.base = 11_000
        self.first_call = True
        self.last_call_t = t
        self.responses: list[tuple] = []
        self.render_common()

    def render_common(self) -> None:
        agent = ('"agentId":"%s",' % self.agent) if self.agent else ""
        self.common = '"isSidechain":%s,"userType":"external","cwd":"%s","sessionId":"%s","version":"%s","gitBranch":%s,%s' % (
            "true" if self.side else "false", self.cwd, self.sid, self.version, self.branch, agent)

    def state(self) -> dict:
        """What append_claude needs to continue this file later."""
        return {"path": self.rel, "sid": self.sid, "cwd": self.cwd, "branch": self.branch, "version": self.version,
                "model": self.model, "parent": self.parent, "t": self.t, "ctx": self.ctx, "gateway": self.gateway}


class ClaudeWriter:
    def __init__(self, g) -> None:
        self.g = g
        self.rng = g.rng
        self.ids = g.ids
        self.pools = g.pools
        self.count = 0
        self.history: list[tuple[str, str, list[str]]] = []  # (sid, project dir, first lines) for resume copies
        self.last_main: Session | None = None
        self.sessions: list[dict] = []

    # --- lines ------------------------------------------------------------------------------------

    def _emit(self, S: Session, body: str, ts: int, extra: str = "") -> str:
        uid = self.ids.uuid4()
        line = '{"parentUuid":%s,%s%s,"uuid":"%s","timestamp":"%s"%s}\n' % (S.parent, S.common, body, uid, iso(ts), extra)
        S.parent = '"%s"' % uid
        S.parts.append(line)
        S.size += len(line)
        return line

    def _usage(self, S: Session, inp: int, c5: int, c1: int, cr: int, out: int) -> str:
        if S.version.startswith("1."):
            return '{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,"output_tokens":%d,"service_tier":"standard"}' % (
                inp, c5 + c1, cr, out)
        tail = ',"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"inference_geo":""' if S.version.startswith("2.1") else ""
        return ('{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
                '"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},"output_tokens":%d,'
                '"service_tier":"standard"%s}') % (inp, c5 + c1, cr, c5, c1, out, tail)

    def _assistant_body(self, msg_id: str, model: str, block: str, stop: str, usage: str, req_id: str | None) -> str:
        req = ('"requestId":"%s",' % req_id) if req_id else ""
        return ('"message":{"id":"%s","type":"message","role":"assistant","model":"%s","content":[%s],'
                '"stop_reason":%s,"stop_sequence":null,"usage":%s},%s"type":"assistant"') % (msg_id, model, block, stop, usage, req)

    def _cost(self, S: Session, inp: int, cw: int, cr: int, out: int) -> str:
        if S.cost_null and self.rng.random() < 0.4:
            self.g.feats.mark("cost_null")
            return ',"costUSD":null'
        if not S.cost:
            return ""
        self.g.feats.mark("cost_usd")
        return ',"costUSD":%.6f' % ((inp * 3 + cw * 3.75 + cr * 0.3 + out * 15) / 1e6)

    def prompt(self, S: Session, text: str | None = None) -> None:
        rng = self.rng
        S.t += rng.randrange(20_000, 600_000) if rng.random() < 0.85 else rng.randrange(6 * MIN_MS, 90 * MIN_MS)
        if text is None:
            k = rng.random()
            if k < 0.06:
                text = "<command-name>/compact</command-name>\\n<command-message>compact</command-message>\\n<command-args></command-args>"
            else:
                text = self.pools.take(rng, rng.randrange(30, max(60, min(1500, self.g.cap // 3))))
        S.ctx += len(text) // 4
        self._emit(S, '"type":"user","message":{"role":"user","content":"%s"}' % text, S.t,
                   ',"thinkingMetadata":{"level":"high","disabled":false,"triggers":[]},"todos":[]')

    def synthetic(self, S: Session) -> None:
        text = self.rng.choice(_SYNTHETIC_TEXTS)
        S.t += self.rng.randrange(1000, 30_000)
        body = ('"message":{"id":"%s","model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence","stop_sequence":"",'
                '"type":"message","usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,'
                '"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":0},"service_tier":null,'
                '"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}},'
                '"content":[{"type":"text","text":"%s"}]},"type":"assistant"') % (self.ids.uuid4(), text)
        self._emit(S, body, S.t, ',"isApiErrorMessage":true' if text.startswith("API") else "")
        self.g.feats.mark("synthetic")

    def _numbers(self, S: Session) -> tuple[int, int, int, int, int]:
        rng = self.rng
        if S.first_call:
            cr = rng.choice((0, S.base))
            S.first_call = False
        elif S.t - S.last_call_t > 5 * MIN_MS and not S.ttl1h:
            cr = S.base  # the 5-minute cache expired: everything past the system prompt is written again
        else:
            cr = S.cached
        cr = min(cr, S.ctx)
        cw = S.ctx - cr
        inp = rng.choice((1, 2, 3, 3, 4, 5, 6, 8, 10, 12)) if rng.random() < 0.9 else rng.randrange(40, 3000)
        out = int(rng.lognormvariate(5.3, 1.0)) + 20
        if out > 24_000:
            out = 24_000 - rng.randrange(5000)
        S.cached = S.ctx
        S.ctx += out + inp
        S.last_call_t = S.t
        return (inp, 0, cw, cr, out) if S.ttl1h else (inp, cw, 0, cr, out)

    def response(self, S: Session, tools: bool = True, stream: bool = False, blocks: list[str] | None = None,
                 truth: Truth | None = None, model: str | None = None) -> tuple:
        """One API call written as one line per content block; returns what a replay needs."""
        g, rng, ids, pools = self.g, self.rng, self.ids, self.pools
        cap = g.cap
        model = model or S.model
        if blocks is None:
            blocks = []
            if S.thinking and rng.random() < 0.55:
                blocks.append("thinking")
            n_tools = 0
            if tools:
                r = rng.random()
                n_tools = 1 if r < 0.65 else (2 if r < 0.9 else 3)
            if n_tools == 0 or rng.random() < 0.5:
                blocks.append("text")
            blocks.extend(["tool_use"] * n_tools)
            if len(blocks) > 4:
                blocks = blocks[:4]
        if stream and len(blocks) < 2:
            blocks.insert(0, "text" if blocks[0] != "text" else "thinking")
        n = len(blocks)
        if S.gateway:
            msg_id = "gen-%d-%s" % (S.t // 1000, ids.b62(20))
            req_id = None
        else:
            msg_id = "msg_01" + ids.b62(22)
            req_id = "req_011C" + ids.b62(21)
        inp, c5, c1, cr, out = self._numbers(S)
        start = S.t + rng.randrange(1500, 40_000)
        step = rng.randrange(200, 4000)
        t_win = start + (n - 1) * step
        day0, _ = day_bounds(t_win)
        tool_uses = []
        rendered = []
        for i, kind in enumerate(blocks):
            if kind == "thinking":
                block = '{"type":"thinking","thinking":"%s","signature":"%s"}' % (
                    pools.take(rng, rng.randrange(min(200, cap // 4), max(400, cap // 2))),
                    pools.b64_take(rng, rng.randrange(min(200, cap // 4), min(900, cap // 2 + 8))))
            elif kind == "text":
                block = '{"type":"text","text":"%s"}' % pools.take(rng, rng.randrange(40, max(80, cap // 4)))
            else:
                tool_id = "toolu_01" + ids.b62(22)
                name, tool_input = self._tool_input(S)
                tool_uses.append((tool_id, name))
                block = '{"type":"tool_use","id":"%s","name":"%s","input":%s}' % (tool_id, name, tool_input)
            rendered.append(block)
        last_stop = '"tool_use"' if tool_uses else '"end_turn"'
        lines = []
        for i, block in enumerate(rendered):
            last = i == n - 1
            if stream and not last:
                o, ts, stop = rng.choice((1, 9)), max(day0, start + i * step), "null"
            else:
                o, ts, stop = out, t_win, (last_stop if last else "null")
            usage = self._usage(S, inp, c5, c1, cr, o)
            lines.append(self._emit(S, self._assistant_body(msg_id, model, block, stop, usage, req_id), ts,
                                    self._cost(S, inp, c5 + c1, cr, o)))
        if truth is not None:
            truth.add(t_win, "claude", model, inp, out, c5 + c1, cr, 0)
        if stream:
            g.feats.mark("streaming")
        elif n > 1:
            g.feats.mark("multi_block")
        if S.gateway:
            g.feats.mark("gateway")
        S.t = t_win
        info = (msg_id, req_id, model, rendered, (inp, c5, c1, cr, out), t_win, stream)
        S.responses.append(info)
        if len(S.responses) > 6:
            del S.responses[0]
        for tool_id, name in tool_uses:
            self.tool_result(S, tool_id, name)
        return info

    def _tool_input(self, S: Session) -> tuple[str, str]:
        rng = self.rng
        k = rng.random()
        path = "%s/src/%s.py" % (S.cwd, rng.choice(("app", "models", "cli", "store", "handlers", "retry")))
        if k < 0.4:
            return "Read", '{"file_path":"%s"}' % path
        if k < 0.65:
            return "Edit", '{"file_path":"%s","old_string":"%s","new_string":"%s"}' % (
                path, self.pools.take(rng, rng.randrange(20, 300)), self.pools.take(rng, rng.randrange(20, 400)))
        if k < 0.9:
            cmd = rng.choice(("pytest -q tests/", "git status --short", "rg -n retry src", "npm run build", "ls -la"))
            return "Bash", '{"command":"%s","description":"Run %s"}' % (cmd, cmd.split()[0])
        return "Grep", '{"pattern":"def %s","path":"%s","output_mode":"content"}' % (rng.choice(("retry", "load", "parse")), S.cwd)

    def tool_result(self, S: Session, tool_id: str, name: str, bad_utf8: bool = False, text: str | None = None) -> None:
        rng, cap = self.rng, self.g.cap
        S.t += rng.randrange(300, 20_000)
        error = not bad_utf8 and self.g.feats.want("tool_error", 0.07)
        if error:
            self.g.feats.mark("tool_error")
            content = "<tool_use_error>String to replace not found in file.\\nString: %s</tool_use_error>" % self.pools.take(rng, 120)
            copy = '"Error: String to replace not found in file."'
        else:
            content = text or self.pools.take(rng, rng.randrange(min(500, cap // 4), max(600, cap // 2)))
            if bad_utf8:
                k = len(content) // 2
                while k and content[k - 1] == "\\":
                    k -= 1
                content = content[:k] + "\udcff\udcfe caf\udce9 " + content[k:]
            if name == "Read":
                copy = '{"type":"text","file":{"filePath":"%s/src/app.py","content":"%s","numLines":%d,"startLine":1,"totalLines":%d}}' % (
                    S.cwd, content, len(content) // 40 + 1, len(content) // 40 + 1)
            elif name == "Edit":
                copy = ('{"filePath":"%s/src/app.py","oldString":"x","newString":"y","originalFile":"%s","structuredPatch":'
                        '[{"oldStart":10,"oldLines":3,"newStart":10,"newLines":4,"lines":[" a","-b","+c","+d"]}],'
                        '"userModified":false,"replaceAll":false}') % (S.cwd, content)
            else:
                copy = '{"stdout":"%s","stderr":"","interrupted":false,"isImage":false}' % content
        S.ctx += len(content) // 4
        body = ('"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
                '"content":"%s","is_error":%s}]}') % (tool_id, content, "true" if error else "false")
        self._emit(S, body, S.t, ',"toolUseResult":%s' % copy)

    def system(self, S: Session, compact: bool = False) -> None:
        if compact:
            body = ('"type":"system","subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,'
                    '"level":"info","compactMetadata":{"trigger":"auto","preTokens":%d}') % S.ctx
            S.ctx = 18_000 + self.rng.randrange(20_000)
            S.cached = S.base
        else:
            body = '"type":"system","subtype":"turn_duration","durationMs":%d,"isMeta":false' % self.rng.randrange(2000, 900_000)
        S.t += self.rng.randrange(50, 2000)
        self._emit(S, body, S.t)

    # --- sessions ----------------------------------------------------------------------------------

    def new_session(self, start: int, cwd: str | None = None, sid: str | None = None) -> Session:
        rng = self.rng
        cwd = cwd or rng.choice(PROJECT_CWDS)
        sid = sid or self.ids.uuid4()
        rel = ".claude/projects/%s/%s.jsonl" % (encode_cwd(cwd), sid)
        model = rng.choices(CLAUDE_MODELS, CLAUDE_MODEL_WEIGHTS)[0]
        S = Session(rel, sid, cwd, rng.choice(_BRANCHES), claude_version(start, rng), model, start)
        S.cost = start < CLAUDE_V2_MS
        S.ttl1h = not S.version.startswith("1.") and rng.random() < 0.25
        S.thinking = rng.random() < 0.75
        return S

    def turn(self, S: Session, budget: int, truth: Truth, synthetic: bool = False) -> None:
        rng = self.rng
        feats = self.g.feats
        self.prompt(S)
        if synthetic:
            self.synthetic(S)
        steps = rng.randrange(1, 8)
        for step in range(steps):
            last = step == steps - 1 or S.size + self.g.reserve >= budget
            stream = feats.want("streaming", 0.12 if S.version.startswith("2.1") else 0.01)
            self.response(S, tools=not last, stream=stream, truth=truth)
            if S.ctx > 170_000:
                self.system(S, compact=True)
            if last:
                break
        if rng.random() < 0.3 and S.size + self.g.reserve < budget:
            self.system(S)

    def session(self, start: int, budget: int, extras: bool = True) -> Session:
        """A main transcript plus, at their rates, its subagents, /btw replay and workflow files."""
        g, rng, feats = self.g, self.rng, self.g.feats
        feats.turn = self.count
        self.count += 1
        truth = g.truth
        S = self.new_session(start)
        spare = g.files_left("claude") - 1 if extras else 0
        if feats.want("gateway", 0.03):
            S.gateway = True
        if feats.want("null_branch", 0.06):
            S.branch = "null"
            S.render_common()
            feats.mark("null_branch")
        S.cost_null = feats.want("cost_null", 0.03)
        if g.file_budget and budget < 3000:
            S.thinking = False  # many tiny files: keep each near its share of the target size
        # a resumed or forked session starts with copies of another session's lines (same ids)
        if self.history and feats.want("resume_copy", 0.06):
            old_sid, old_dir, old_lines = self.history[rng.randrange(len(self.history))]
            if rng.random() < 0.5:
                old_lines = [ln.replace('"sessionId":"%s"' % old_sid, '"sessionId":"%s"' % S.sid) for ln in old_lines]
            if rng.random() < 0.3:  # a worktree copy: the file lands in another project folder
                S.rel = "%s/%s.jsonl" % (old_dir, S.sid)
            S.parts.extend(old_lines)
            S.size += sum(map(len, old_lines))
            feats.mark("resume_copy")
        synthetic_turn = 0 if feats.want("synthetic", 0.08) else -1
        bad_json = feats.want("bad_json", 0.04)
        bad_utf8 = feats.want("bad_utf8", 0.04)
        n_sub = (1 + (rng.random() < 0.3)) if spare > 0 and feats.want("subagent", 0.15) else 0
        n_sub = min(n_sub, spare)
        spare -= n_sub
        btw = spare > 0 and not S.gateway and feats.want("btw_replay", 0.04)
        spare -= btw
        compact_agent = spare > 0 and feats.want("compact_agent", 0.03)
        spare -= compact_agent
        workflow = spare > 1 and feats.want("workflow_journal", 0.02)

        i = 0
        first_chunk_end = None
        while S.size + g.slack < budget or i == 0:
            self.turn(S, budget, truth, synthetic=i == synthetic_turn)
            if i == 0:
                if n_sub:
                    self._spawn_subagents(S, n_sub, budget)
                if bad_json:
                    self._bad_json_line(S)
                if bad_utf8:
                    self.prompt(S)
                    tool_id = "toolu_01" + self.ids.b62(22)
                    self.tool_result(S, tool_id, "Bash", bad_utf8=True)
                    feats.mark("bad_utf8")
                first_chunk_end = len(S.parts)
            i += 1
        if btw:
            self._btw_replay(S, budget)
        if compact_agent:
            self._compact_agent(S)
        if workflow:
            self._workflow(S, budget)
        g.sink.write(S.rel, S.parts, "claude")
        chunk, size = [], 0
        for line in S.parts[: min(first_chunk_end or 0, 40)]:
            if chunk and size + len(line) > max(budget // 3, 2000):
                break
            chunk.append(line)
            size += len(line)
        self.history.append((S.sid, S.rel.rsplit("/", 1)[0], chunk))
        if len(self.history) > 12:
            del self.history[0]
        S.parts = []
        self.last_main = S
        self.sessions.append(S.state())
        if len(self.sessions) > 300:
            del self.sessions[0]
        return S

    def _side(self, S: Session, name: str, model: str | None = None) -> tuple[Session, str]:
        agent = name.rsplit("-", 1)[-1]
        rel = "%s/%s/subagents/agent-%s.jsonl" % (S.rel.rsplit("/", 1)[0], S.sid, name)
        A = Session(rel, S.sid, S.cwd, S.branch, S.version, model or S.model, S.t, side=True, agent=agent)
        A.cost, A.cost_null, A.thinking = S.cost, S.cost_null, S.thinking
        return A, rel

    def _spawn_subagents(self, S: Session, n: int, budget: int) -> None:
        rng, g = self.rng, self.g
        for _ in range(n):
            aid = self.ids.hexs(17) if rng.random() < 0.7 else self.ids.hexs(7)
            agent_type = rng.choice(_AGENT_TYPES)
            prompt = self.pools.take(rng, rng.randrange(100, 1200))
            tool_id = "toolu_01" + self.ids.b62(22)
            block = '{"type":"tool_use","id":"%s","name":"Task","input":{"description":"%s task","prompt":"%s","subagent_type":"%s"}}' % (
                tool_id, agent_type, prompt, agent_type)
            self.response(S, blocks=["text"], truth=g.truth)  # the parent's text before the spawn
            inp, c5, c1, cr, out = self._numbers(S)
            msg_id, req_id = ("gen-%d-%s" % (S.t // 1000, self.ids.b62(20)), None) if S.gateway else (
                "msg_01" + self.ids.b62(22), "req_011C" + self.ids.b62(21))
            S.t += rng.randrange(2000, 20_000)
            usage = self._usage(S, inp, c5, c1, cr, out)
            self._emit(S, self._assistant_body(msg_id, S.model, block, '"tool_use"', usage, req_id), S.t,
                       self._cost(S, inp, c5 + c1, cr, out))
            g.truth.add(S.t, "claude", S.model, inp, out, c5 + c1, cr, 0)
            model = "claude-haiku-4-5-20251001" if rng.random() < 0.5 else S.model
            A, rel = self._side(S, aid, model)
            A.ctx = 9000 + len(prompt) // 4
            self.prompt(A, prompt)
            sub_budget = g.file_budget if g.file_budget else max(4000, int(budget * rng.uniform(0.1, 0.3)))
            while A.size < sub_budget:
                self.response(A, tools=A.size + g.reserve < sub_budget * 0.8, truth=g.truth)
            g.sink.write(rel, A.parts, "claude")
            g.sink.write(rel[:-6] + ".meta.json", '{"agentType":"%s"}' % agent_type, "claude")
            S.t = A.t + rng.randrange(500, 5000)
            self.tool_result(S, tool_id, "Task", text="%s\\n\\nagentId: %s (for resuming to continue this agent's work if needed)" % (
                self.pools.take(rng, rng.randrange(200, 2000)), aid))
            g.feats.mark("subagent")

    def _bad_json_line(self, S: Session) -> None:
        """A truncated line (a crash mid-write, then more lines): invalid JSON, its call never counted."""
        self.response(S, blocks=["text"], truth=None)
        S.responses.pop()  # never a /btw replay target: it has no valid non-sidechain copy
        line = S.parts.pop()
        S.size -= len(line)
        cut = len(line) * 2 // 3
        while line[cut - 1] == "\\":
            cut -= 1
        S.parts.append(line[:cut] + "\n")
        S.size += cut + 1
        self.g.feats.mark("bad_json")

    def _btw_replay(self, S: Session, budget: int) -> None:
        """`/btw` side question: replays a parent message (same message.id, new requestId), then asks."""
        rng, g = self.rng, self.g
        cands = [r for r in S.responses if not r[6] and r[1]]
        if not cands:
            return
        msg_id, _, model, rendered, (inp, c5, c1, cr, out), t_win, _ = rng.choice(cands)
        A, rel = self._side(S, self.ids.hexs(17), model)
        new_req = "req_011C" + self.ids.b62(21)
        for i, block in enumerate(rendered):
            stop = '"end_turn"' if i == len(rendered) - 1 else "null"
            self._emit(A, self._assistant_body(msg_id, model, block, stop, self._usage(A, inp, c5, c1, cr, out), new_req), t_win)
        A.t = S.t
        self.prompt(A)
        self.response(A, tools=False, truth=g.truth)
        g.sink.write(rel, A.parts, "claude")
        g.feats.mark("btw_replay")

    def _compact_agent(self, S: Session) -> None:
        A, rel = self._side(S, "acompact-" + self.ids.hexs(16))
        A.ctx = S.ctx
        A.first_call = False
        A.cached = S.ctx - 2000
        self.prompt(A, "Your task is to create a detailed summary of the conversation so far.")
        self.response(A, tools=False, blocks=["text"], truth=self.g.truth)
        self.g.sink.write(rel, A.parts, "claude")
        self.g.feats.mark("compact_agent")

    def _workflow(self, S: Session, budget: int) -> None:
        """A workflow subagent (counted) and its orchestration journal (usage-shaped, never counted)."""
        rng, g = self.rng, self.g
        base = "%s/%s/subagents/workflows/wf1" % (S.rel.rsplit("/", 1)[0], S.sid)
        aid = self.ids.hexs(17)
        A = Session("%s/agent-%s.jsonl" % (base, aid), S.sid, S.cwd, S.branch, S.version, S.model, S.t, side=True, agent=aid)
        self.prompt(A)
        for _ in range(rng.randrange(1, 4)):
            self.response(A, tools=False, truth=g.truth)
        g.sink.write(A.rel, A.parts, "claude")
        J = Session(base + "/journal.jsonl", S.sid, S.cwd, S.branch, S.version, S.model, S.t, side=True, agent=aid)
        for step in range(rng.randrange(3, 7)):
            J.t += rng.randrange(1000, 60_000)
            self.response(J, tools=False, blocks=["text"], truth=None)
            J.parts.append('{"type":"workflow_step","workflowId":"wf1","step":%d,"status":"completed","timestamp":"%s"}\n' % (step, iso(J.t)))
        g.sink.write(J.rel, J.parts, "claude")
        g.feats.mark("workflow_journal")

    def partial_line(self, S: Session, truth: Truth) -> dict:
        """Appends the first part of one more call's line, with no newline: a line still being written."""
        self.prompt(S)
        self.response(S, tools=False, blocks=["text"], truth=truth)
        line = S.parts.pop()
        body = "".join(S.parts)
        S.parts = []
        cut = len(line) // 2
        while line[cut - 1] == "\\":
            cut -= 1
        self.g.sink.write(S.rel, body + line[:cut], "claude", mode="ab")
        return {"path": S.rel, "rest": line[cut:], "delta": truth.report()}
