"""Claude Code transcript lines (LOG-FORMATS §3.1): one session's fields, and the lines a call writes.

A response is written as one line per content block, each repeating the full usage; the call is
added to the ground truth once, when the writer creates it, never when a copy is written.
"""

from __future__ import annotations

from ._common import CLAUDE_V2_MS, CLAUDE_V21_MS, MIN_MS, Truth, day_bounds, iso

# --- templates (pre-rendered; %-formatted so the JSON braces stay literal) --------------------------

LINE = '{"parentUuid":%s,%s%s,"uuid":"%s","timestamp":"%s"%s}\n'
COMMON = ('"isSidechain":%s,"userType":"external","cwd":"%s","sessionId":"%s","version":"%s",'
          '"gitBranch":%s,%s')
USAGE_V1 = ('{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
            '"output_tokens":%d,"service_tier":"standard"}')
USAGE_V2 = ('{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,'
            '"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},'
            '"output_tokens":%d,"service_tier":"standard"%s}')
USAGE_V21_TAIL = ',"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"inference_geo":""'
ASSISTANT = ('"message":{"id":"%s","type":"message","role":"assistant","model":"%s","content":[%s],'
             '"stop_reason":%s,"stop_sequence":null,"usage":%s},%s"type":"assistant"')
SYNTHETIC = ('"message":{"id":"%s","model":"<synthetic>","role":"assistant","stop_reason":"stop_sequence",'
             '"stop_sequence":"","type":"message","usage":{"input_tokens":0,"output_tokens":0,'
             '"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":0},'
             '"service_tier":null,"cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0}},'
             '"content":[{"type":"text","text":"%s"}]},"type":"assistant"')
PROMPT = '"type":"user","message":{"role":"user","content":"%s"}'
PROMPT_TAIL = ',"thinkingMetadata":{"level":"high","disabled":false,"triggers":[]},"todos":[]'
THINKING = '{"type":"thinking","thinking":"%s","signature":"%s"}'
TEXT = '{"type":"text","text":"%s"}'
TOOL_USE = '{"type":"tool_use","id":"%s","name":"%s","input":%s}'
TOOL_RESULT = ('"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result",'
               '"content":"%s","is_error":%s}]}')
READ_COPY = ('{"type":"text","file":{"filePath":"%s/src/app.py","content":"%s","numLines":%d,"startLine":1,'
             '"totalLines":%d}}')
EDIT_COPY = ('{"filePath":"%s/src/app.py","oldString":"x","newString":"y","originalFile":"%s",'
             '"structuredPatch":[{"oldStart":10,"oldLines":3,"newStart":10,"newLines":4,'
             '"lines":[" a","-b","+c","+d"]}],"userModified":false,"replaceAll":false}')
BASH_COPY = '{"stdout":"%s","stderr":"","interrupted":false,"isImage":false}'
TOOL_ERROR = "<tool_use_error>String to replace not found in file.\\nString: %s</tool_use_error>"
COMPACT = ('"type":"system","subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,'
           '"level":"info","compactMetadata":{"trigger":"auto","preTokens":%d}')
TURN_DURATION = '"type":"system","subtype":"turn_duration","durationMs":%d,"isMeta":false'
SLASH_COMMAND = ("<command-name>/compact</command-name>\\n<command-message>compact</command-message>\\n"
                 "<command-args></command-args>")
SYNTHETIC_TEXTS = (
    ('API Error: 529 {\\"type\\":\\"error\\",\\"error\\":{\\"type\\":\\"overloaded_error\\",'
     '\\"message\\":\\"Overloaded\\"}}'),
    "No response requested.",
    "Claude AI usage limit reached|1767225600",
)
_BASH = ("pytest -q tests/", "git status --short", "rg -n retry src", "npm run build", "ls -la")


def claude_version(ms: int, rng) -> str:
    if ms < CLAUDE_V2_MS:
        return "1.0.%d" % rng.randrange(60, 128)
    if ms < CLAUDE_V21_MS:
        return "2.0.%d" % rng.randrange(1, 77)
    return "2.1.%d" % rng.randrange(1, 60)


class Session:
    """One transcript file being written: its constant fields, its lines, its clock and context."""

    __slots__ = (
        "agent", "base", "branch", "cached", "common", "cost", "cost_null", "ctx", "cwd", "first_call",
        "gateway", "last_call_t", "model", "parent", "parts", "rel", "responses", "side", "sid", "size", "t",
        "thinking", "ttl1h", "version",
    )

    def __init__(self, rel: str, sid: str, cwd: str, branch: str, version: str, model: str, t: int,
                 side: bool = False, agent: str | None = None) -> None:
        self.rel, self.sid, self.cwd, self.branch = rel, sid, cwd, branch
        self.version, self.model, self.side, self.agent = version, model, side, agent
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
        side = "true" if self.side else "false"
        self.common = COMMON % (side, self.cwd, self.sid, self.version, self.branch, agent)

    def state(self) -> dict:
        """What append_claude needs to continue this file later."""
        return {"path": self.rel, "sid": self.sid, "cwd": self.cwd, "branch": self.branch,
                "version": self.version, "model": self.model, "parent": self.parent, "t": self.t,
                "ctx": self.ctx, "gateway": self.gateway}


class LineWriter:
    """Renders the lines of a session: prompts, responses, tool results, system and synthetic lines."""

    def __init__(self, g) -> None:
        self.g = g
        self.rng = g.rng
        self.ids = g.ids
        self.pools = g.pools

    def emit(self, S: Session, body: str, ts: int, extra: str = "") -> str:
        uid = self.ids.uuid4()
        line = LINE % (S.parent, S.common, body, uid, iso(ts), extra)
        S.parent = '"%s"' % uid
        S.parts.append(line)
        S.size += len(line)
        return line

    def usage(self, S: Session, inp: int, c5: int, c1: int, cr: int, out: int) -> str:
        if S.version.startswith("1."):
            return USAGE_V1 % (inp, c5 + c1, cr, out)
        tail = USAGE_V21_TAIL if S.version.startswith("2.1") else ""
        return USAGE_V2 % (inp, c5 + c1, cr, c5, c1, out, tail)

    @staticmethod
    def assistant(msg_id: str, model: str, block: str, stop: str, usage: str, req_id: str | None) -> str:
        req = ('"requestId":"%s",' % req_id) if req_id else ""
        return ASSISTANT % (msg_id, model, block, stop, usage, req)

    def cost(self, S: Session, inp: int, cw: int, cr: int, out: int) -> str:
        if S.cost_null and self.rng.random() < 0.4:
            self.g.feats.mark("cost_null")
            return ',"costUSD":null'
        if not S.cost:
            return ""
        self.g.feats.mark("cost_usd")
        return ',"costUSD":%.6f' % ((inp * 3 + cw * 3.75 + cr * 0.3 + out * 15) / 1e6)

    def ids_for(self, S: Session) -> tuple[str, str | None]:
        """message.id and requestId; gateways write their own ids and no requestId."""
        if S.gateway:
            return "gen-%d-%s" % (S.t // 1000, self.ids.b62(20)), None
        return "msg_01" + self.ids.b62(22), "req_011C" + self.ids.b62(21)

    def prompt(self, S: Session, text: str | None = None) -> None:
        rng = self.rng
        quick = rng.random() < 0.85
        S.t += rng.randrange(20_000, 600_000) if quick else rng.randrange(6 * MIN_MS, 90 * MIN_MS)
        if text is None:
            if rng.random() < 0.06:
                text = SLASH_COMMAND
            else:
                text = self.pools.take(rng, rng.randrange(30, max(60, min(1500, self.g.cap // 3))))
        S.ctx += len(text) // 4
        self.emit(S, PROMPT % text, S.t, PROMPT_TAIL)

    def synthetic(self, S: Session) -> None:
        text = self.rng.choice(SYNTHETIC_TEXTS)
        S.t += self.rng.randrange(1000, 30_000)
        flag = ',"isApiErrorMessage":true' if text[:3] == "API" else ""
        self.emit(S, SYNTHETIC % (self.ids.uuid4(), text), S.t, flag)
        self.g.feats.mark("synthetic")

    def numbers(self, S: Session) -> tuple[int, int, int, int, int]:
        """(input, cache write 5m, cache write 1h, cache read, output) of the next call."""
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

    def _blocks(self, S: Session, tools: bool) -> list[str]:
        rng = self.rng
        blocks = ["thinking"] if S.thinking and rng.random() < 0.55 else []
        n_tools = 0
        if tools:
            r = rng.random()
            n_tools = 1 if r < 0.65 else (2 if r < 0.9 else 3)
        if n_tools == 0 or rng.random() < 0.5:
            blocks.append("text")
        blocks.extend(["tool_use"] * n_tools)
        return blocks[:4]

    def response(self, S: Session, tools: bool = True, stream: bool = False, blocks: list[str] | None = None,
                 truth: Truth | None = None, model: str | None = None) -> tuple:
        """One API call, one line per content block; returns what a /btw replay needs."""
        g, rng, pools, cap = self.g, self.rng, self.pools, self.g.cap
        model = model or S.model
        blocks = self._blocks(S, tools) if blocks is None else blocks
        if len(blocks) < 2 and (stream or (S.gateway and "gateway" not in g.feats.seen)):
            blocks.insert(0, "text" if blocks[0] != "text" else "thinking")
        n = len(blocks)
        msg_id, req_id = self.ids_for(S)
        inp, c5, c1, cr, out = self.numbers(S)
        start = S.t + rng.randrange(1500, 40_000)
        step = rng.randrange(200, 4000)
        t_win = start + (n - 1) * step
        day0, _ = day_bounds(t_win)
        tool_uses = []
        rendered = []
        for kind in blocks:
            if kind == "thinking":
                text = pools.take(rng, rng.randrange(min(200, cap // 4), max(400, cap // 2)))
                signature = pools.b64_take(rng, rng.randrange(min(200, cap // 4), min(900, cap // 2 + 8)))
                block = THINKING % (text, signature)
            elif kind == "text":
                block = TEXT % pools.take(rng, rng.randrange(40, max(80, cap // 4)))
            else:
                tool_id = "toolu_01" + self.ids.b62(22)
                name, tool_input = self._tool_input(S)
                tool_uses.append((tool_id, name))
                block = TOOL_USE % (tool_id, name, tool_input)
            rendered.append(block)
        last_stop = '"tool_use"' if tool_uses else '"end_turn"'
        for i, block in enumerate(rendered):
            if stream and i < n - 1:  # a snapshot from message_start: placeholder output, no stop reason
                o, ts, stop = rng.choice((1, 9)), max(day0, start + i * step), "null"
            else:
                o, ts, stop = out, t_win, (last_stop if i == n - 1 else "null")
            body = self.assistant(msg_id, model, block, stop, self.usage(S, inp, c5, c1, cr, o), req_id)
            self.emit(S, body, ts, self.cost(S, inp, c5 + c1, cr, o))
        if truth is not None:
            truth.add(t_win, "claude", model, inp, out, c5 + c1, cr, 0)
        if stream:
            g.feats.mark("streaming")
        elif n > 1:
            g.feats.mark("multi_block")
        if S.gateway and n > 1:
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
        rng, pools = self.rng, self.pools
        k = rng.random()
        path = "%s/src/%s.py" % (S.cwd, rng.choice(("app", "models", "cli", "store", "handlers", "retry")))
        if k < 0.4:
            return "Read", '{"file_path":"%s"}' % path
        if k < 0.65:
            old, new = pools.take(rng, rng.randrange(20, 300)), pools.take(rng, rng.randrange(20, 400))
            return "Edit", '{"file_path":"%s","old_string":"%s","new_string":"%s"}' % (path, old, new)
        if k < 0.9:
            cmd = rng.choice(_BASH)
            return "Bash", '{"command":"%s","description":"Run %s"}' % (cmd, cmd.split()[0])
        pattern = rng.choice(("retry", "load", "parse"))
        return "Grep", '{"pattern":"def %s","path":"%s","output_mode":"content"}' % (pattern, S.cwd)

    def tool_result(self, S: Session, tool_id: str, name: str, bad_utf8: bool = False,
                    text: str | None = None) -> None:
        """A user line with the tool output, repeated in the top-level toolUseResult."""
        rng, cap = self.rng, self.g.cap
        S.t += rng.randrange(300, 20_000)
        error = not bad_utf8 and self.g.feats.want("tool_error", 0.07)
        if error:
            self.g.feats.mark("tool_error")
            content = TOOL_ERROR % self.pools.take(rng, 120)
            copy = '"Error: String to replace not found in file."'
        else:
            content = text or self.pools.take(rng, rng.randrange(min(500, cap // 4), max(600, cap // 2)))
            if bad_utf8:  # raw bytes that are not UTF-8 (written through surrogateescape)
                k = len(content) // 2
                while k and content[k - 1] == "\\":
                    k -= 1
                content = content[:k] + "\udcff\udcfe caf\udce9 " + content[k:]
            if name == "Read":
                copy = READ_COPY % (S.cwd, content, len(content) // 40 + 1, len(content) // 40 + 1)
            elif name == "Edit":
                copy = EDIT_COPY % (S.cwd, content)
            else:
                copy = BASH_COPY % content
        S.ctx += len(content) // 4
        body = TOOL_RESULT % (tool_id, content, "true" if error else "false")
        self.emit(S, body, S.t, ',"toolUseResult":%s' % copy)

    def system(self, S: Session, compact: bool = False) -> None:
        if compact:
            body = COMPACT % S.ctx
            S.ctx = 18_000 + self.rng.randrange(20_000)
            S.cached = S.base
        else:
            body = TURN_DURATION % self.rng.randrange(2000, 900_000)
        S.t += self.rng.randrange(50, 2000)
        self.emit(S, body, S.t)
