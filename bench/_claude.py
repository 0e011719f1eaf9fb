"""Claude Code sessions (LOG-FORMATS §3.1): main transcripts, their side files, and the copies.

Side files: subagents (`subagents/agent-<id>.jsonl` + `.meta.json`), auto-compaction agents,
`/btw` sidechain replays, workflow subagents and their `journal.jsonl` (never usage).
"""

from __future__ import annotations

import re

from ._claude_lines import LineWriter, Session, claude_version
from ._common import CLAUDE_V2_MS, Truth, iso

CLAUDE_MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001")
CLAUDE_MODEL_WEIGHTS = (6, 3, 1)
CLAUDE_FEATURES = (  # in the order they are forced if their rate has not produced them yet
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
_TASK = ('{"type":"tool_use","id":"%s","name":"Task","input":{"description":"%s task","prompt":"%s",'
         '"subagent_type":"%s"}}')
_TASK_RESULT = "%s\\n\\nagentId: %s (for resuming to continue this agent's work if needed)"
_JOURNAL_STEP = ('{"type":"workflow_step","workflowId":"wf1","step":%d,"status":"completed",'
                 '"timestamp":"%s"}\n')
_COMPACT_PROMPT = "Your task is to create a detailed summary of the conversation so far."


def encode_cwd(cwd: str) -> str:
    """The project folder name Claude Code derives from a cwd."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


class ClaudeWriter(LineWriter):
    def __init__(self, g) -> None:
        super().__init__(g)
        self.count = 0
        self.history: list[tuple[str, str, list[str]]] = []  # (sid, project dir, first lines): resume copies
        self.last_main: Session | None = None
        self.sessions: list[dict] = []

    def new_session(self, start: int, cwd: str | None = None) -> Session:
        rng = self.rng
        cwd = cwd or rng.choice(PROJECT_CWDS)
        sid = self.ids.uuid4()
        rel = ".claude/projects/%s/%s.jsonl" % (encode_cwd(cwd), sid)
        model = rng.choices(CLAUDE_MODELS, CLAUDE_MODEL_WEIGHTS)[0]
        S = Session(rel, sid, cwd, rng.choice(_BRANCHES), claude_version(start, rng), model, start)
        S.cost = start < CLAUDE_V2_MS
        S.ttl1h = not S.version.startswith("1.") and rng.random() < 0.25
        S.thinking = rng.random() < 0.75
        return S

    def turn(self, S: Session, budget: int, truth: Truth, synthetic: bool = False) -> None:
        """A prompt, then calls and tool results until the model answers without a tool."""
        rng, feats = self.rng, self.g.feats
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

    def session(self, start: int, budget: int) -> Session:
        """A main transcript plus, at their rates, its subagents, /btw replay and workflow files."""
        g, rng, feats = self.g, self.rng, self.g.feats
        feats.turn = self.count
        self.count += 1
        S = self.new_session(start)
        spare = g.files_left("claude") - 1
        S.gateway = feats.want("gateway", 0.03)
        if feats.want("null_branch", 0.06):
            S.branch = "null"
            S.render_common()
            feats.mark("null_branch")
        S.cost_null = feats.want("cost_null", 0.03)
        if g.file_budget and budget < 3000:
            S.thinking = False  # many tiny files: keep each near its share of the target size
        if self.history and feats.want("resume_copy", 0.06):
            self._resume_copy(S)
        synthetic_turn = 0 if feats.want("synthetic", 0.08) else -1
        bad_json = feats.want("bad_json", 0.04)
        bad_utf8 = feats.want("bad_utf8", 0.04)
        n_sub = min(spare, 1 + (rng.random() < 0.3)) if spare > 0 and feats.want("subagent", 0.15) else 0
        spare -= n_sub
        btw = spare > 0 and not S.gateway and feats.want("btw_replay", 0.04)
        spare -= btw
        compact_agent = spare > 0 and feats.want("compact_agent", 0.03)
        spare -= compact_agent
        workflow = spare > 1 and feats.want("workflow_journal", 0.02)

        i = 0
        first_turn_end = 0
        while S.size + g.slack < budget or i == 0:
            self.turn(S, budget, g.truth, synthetic=i == synthetic_turn)
            if i == 0:
                for _ in range(n_sub):
                    self._subagent(S, budget)
                if bad_json:
                    self._bad_json_line(S)
                if bad_utf8:
                    self.prompt(S)
                    self.tool_result(S, "toolu_01" + self.ids.b62(22), "Bash", bad_utf8=True)
                    feats.mark("bad_utf8")
                first_turn_end = len(S.parts)
            i += 1
        if btw:
            self._btw_replay(S)
        if compact_agent:
            self._compact_agent(S)
        if workflow:
            self._workflow(S)
        g.sink.write(S.rel, S.parts, "claude")
        self._remember(S, first_turn_end, budget)
        return S

    def _remember(self, S: Session, first_turn_end: int, budget: int) -> None:
        chunk: list[str] = []
        size = 0
        has_call = False
        for line in S.parts[: max(first_turn_end, 1)]:
            if has_call and (len(chunk) >= 40 or size + len(line) > max(budget // 3, 2000)):
                break
            chunk.append(line)
            size += len(line)
            has_call = has_call or ('"usage":' in line and '"<synthetic>"' not in line)
        self.history.append((S.sid, S.rel.rsplit("/", 1)[0], chunk))
        if len(self.history) > 12:
            del self.history[0]
        S.parts = []
        self.last_main = S
        self.sessions.append(S.state())
        if len(self.sessions) > 300:
            del self.sessions[0]

    def _resume_copy(self, S: Session) -> None:
        """A resumed or forked session starts with another session's lines, same ids and timestamps."""
        rng = self.rng
        old_sid, old_dir, old_lines = self.history[rng.randrange(len(self.history))]
        if rng.random() < 0.5:
            old, new = '"sessionId":"%s"' % old_sid, '"sessionId":"%s"' % S.sid
            old_lines = [ln.replace(old, new) for ln in old_lines]
        if rng.random() < 0.3:  # a worktree copy: the file lands in the other session's project folder
            S.rel = "%s/%s.jsonl" % (old_dir, S.sid)
        S.parts.extend(old_lines)
        S.size += sum(map(len, old_lines))
        self.g.feats.mark("resume_copy")

    # --- side files --------------------------------------------------------------------------------

    def _side(self, S: Session, name: str, model: str | None = None) -> Session:
        rel = "%s/%s/subagents/agent-%s.jsonl" % (S.rel.rsplit("/", 1)[0], S.sid, name)
        A = Session(rel, S.sid, S.cwd, S.branch, S.version, model or S.model, S.t, side=True,
                    agent=name.rsplit("-", 1)[-1])
        A.cost, A.cost_null, A.thinking = S.cost, S.cost_null, S.thinking
        return A

    def _subagent(self, S: Session, budget: int) -> None:
        """A Task call in the parent, the subagent's own transcript (sessionId = parent), its result."""
        rng, g = self.rng, self.g
        aid = self.ids.hexs(17) if rng.random() < 0.7 else self.ids.hexs(7)
        agent_type = rng.choice(_AGENT_TYPES)
        prompt = self.pools.take(rng, rng.randrange(100, 1200))
        tool_id = "toolu_01" + self.ids.b62(22)
        self.response(S, blocks=["text"], truth=g.truth)  # the parent's own text before the spawn
        inp, c5, c1, cr, out = self.numbers(S)
        msg_id, req_id = self.ids_for(S)
        S.t += rng.randrange(2000, 20_000)
        block = _TASK % (tool_id, agent_type, prompt, agent_type)
        usage = self.usage(S, inp, c5, c1, cr, out)
        body = self.assistant(msg_id, S.model, block, '"tool_use"', usage, req_id)
        self.emit(S, body, S.t, self.cost(S, inp, c5 + c1, cr, out))
        g.truth.add(S.t, "claude", S.model, inp, out, c5 + c1, cr, 0)
        A = self._side(S, aid, "claude-haiku-4-5-20251001" if rng.random() < 0.5 else S.model)
        A.ctx = 9000 + len(prompt) // 4
        self.prompt(A, prompt)
        sub_budget = g.file_budget if g.file_budget else max(4000, int(budget * rng.uniform(0.1, 0.3)))
        while A.size < sub_budget:
            self.response(A, tools=A.size + g.reserve < sub_budget * 0.8, truth=g.truth)
        g.sink.write(A.rel, A.parts, "claude")
        g.sink.write(A.rel[:-6] + ".meta.json", '{"agentType":"%s"}' % agent_type, "claude")
        S.t = A.t + rng.randrange(500, 5000)
        summary = self.pools.take(rng, rng.randrange(200, 2000))
        self.tool_result(S, tool_id, "Task", text=_TASK_RESULT % (summary, aid))
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

    def _btw_replay(self, S: Session) -> None:
        """`/btw`: a sidechain file replays a parent message (same message.id, new requestId), then asks."""
        rng, g = self.rng, self.g
        cands = [r for r in S.responses if not r[6] and r[1]]
        if not cands:
            return
        msg_id, _, model, rendered, (inp, c5, c1, cr, out), t_win, _ = rng.choice(cands)
        A = self._side(S, self.ids.hexs(17), model)
        new_req = "req_011C" + self.ids.b62(21)
        usage = self.usage(A, inp, c5, c1, cr, out)
        for i, block in enumerate(rendered):
            stop = '"end_turn"' if i == len(rendered) - 1 else "null"
            self.emit(A, self.assistant(msg_id, model, block, stop, usage, new_req), t_win)
        A.t = S.t
        self.prompt(A)
        self.response(A, tools=False, truth=g.truth)
        g.sink.write(A.rel, A.parts, "claude")
        g.feats.mark("btw_replay")

    def _compact_agent(self, S: Session) -> None:
        A = self._side(S, "acompact-" + self.ids.hexs(16))
        A.ctx = S.ctx
        A.first_call = False
        A.cached = S.ctx - 2000
        self.prompt(A, _COMPACT_PROMPT)
        self.response(A, tools=False, blocks=["text"], truth=self.g.truth)
        self.g.sink.write(A.rel, A.parts, "claude")
        self.g.feats.mark("compact_agent")

    def _workflow(self, S: Session) -> None:
        """A workflow subagent (counted) and its orchestration journal (usage-shaped, never counted)."""
        rng, g = self.rng, self.g
        base = "%s/%s/subagents/workflows/wf1" % (S.rel.rsplit("/", 1)[0], S.sid)
        aid = self.ids.hexs(17)
        A = Session("%s/agent-%s.jsonl" % (base, aid), S.sid, S.cwd, S.branch, S.version, S.model, S.t,
                    side=True, agent=aid)
        self.prompt(A)
        for _ in range(rng.randrange(1, 4)):
            self.response(A, tools=False, truth=g.truth)
        g.sink.write(A.rel, A.parts, "claude")
        J = Session(base + "/journal.jsonl", S.sid, S.cwd, S.branch, S.version, S.model, S.t,
                    side=True, agent=aid)
        for step in range(rng.randrange(3, 7)):
            J.t += rng.randrange(1000, 60_000)
            self.response(J, tools=False, blocks=["text"], truth=None)
            J.parts.append(_JOURNAL_STEP % (step, iso(J.t)))
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
