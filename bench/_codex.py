"""Codex CLI rollouts (LOG-FORMATS §3.2): cumulative token_count events and every way they repeat.

Each counted call gets a key (root thread, model, cumulative totals) that is unique across the
corpus; replays (forks, subagents, archived copies, re-emits) reuse existing keys or do not advance.
"""

from __future__ import annotations

import time

from ._common import CODEX_START_MS, DAY_MS, MIN_MS, NEW_RATE_LIMITS_MS, PERIOD_END_MS, day_bounds, iso

CODEX_MODELS = ("gpt-5-codex", "gpt-5.1-codex")
CODEX_FEATURES = (  # in the order they are forced if their rate has not produced them yet
    "reemit", "info_null", "regression", "lanes", "fork", "subagent", "archive_copy", "model_switch",
)
CODEX_CWDS = ("/home/dev/shop-api", "/home/dev/src/tokenmirror", "/home/dev/work/infra-tools",
              "/home/dev/oss/fastjson.rs")
LOCAL_OFFSET_S = -7 * 3600  # rollout folder and file names use the writer's local time (UTC-7 here)
_LANES = ("codex", "codex_bengalfox")

# --- templates (pre-rendered; %-formatted so the JSON braces stay literal) --------------------------
LINE = '{"timestamp":"%s","type":"%s","payload":%s}\n'
USAGE = ('{"input_tokens":%d,"cached_input_tokens":%d,"output_tokens":%d,"reasoning_output_tokens":%d,'
         '"total_tokens":%d}')
INFO = '{"total_token_usage":%s,"last_token_usage":%s,"model_context_window":272000}'
TOKEN_COUNT = '{"type":"token_count","info":%s,"rate_limits":%s}'
LIMITS_OLD = ('{"primary":{"used_percent":%.1f,"window_minutes":299,"resets_in_seconds":%d},'
              '"secondary":{"used_percent":%.1f,"window_minutes":10079,"resets_in_seconds":%d}}')
LIMITS = ('{"limit_id":"%s","limit_name":%s,"primary":{"used_percent":%.1f,"window_minutes":300,'
          '"resets_at":%d},"secondary":{"used_percent":%.1f,"window_minutes":10080,"resets_at":%d},"credits":null,'
          '"plan_type":"pro"}')
META = ('{"id":"%s","timestamp":"%s","cwd":"%s","originator":"codex_cli_rs","cli_version":"%s",'
        '"instructions":null,"source":%s,"model_provider":"openai","base_instructions":{"text":"%s"},'
        '"git":{"commit_hash":"%s","branch":"main","repository_url":"git@github.com:dev/%s.git"}%s}')
SPAWN = ('{"subagent":{"thread_spawn":{"parent_thread_id":"%s","depth":1,"agent_path":null,'
         '"agent_nickname":"%s","agent_role":"worker"}}}')
TURN_CONTEXT = ('{"cwd":"%s","approval_policy":"on-request","sandbox_policy":{"type":"workspace-write",'
                '"network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false},'
                '"model":"%s","effort":"%s","summary":"auto"%s}')
ENV_CONTEXT = ('{"type":"message","role":"user","content":[{"type":"input_text",'
               '"text":"<environment_context>\\n  <cwd>%s</cwd>\\n'
               '  <approval_policy>on-request</approval_policy>\\n'
               '  <sandbox_mode>workspace-write</sandbox_mode>\\n  <shell>bash</shell>\\n'
               '</environment_context>"}]}')
USER_ITEM = '{"type":"message","role":"user","content":[{"type":"input_text","text":"%s"}]}'
USER_MESSAGE = '{"type":"user_message","message":"%s","images":[],"kind":"plain"}'
REASONING = ('{"type":"reasoning","summary":[{"type":"summary_text","text":"**%s**"}],"content":null,'
             '"encrypted_content":"gAAAAA%s"}')
AGENT_REASONING = '{"type":"agent_reasoning","text":"**%s**"}'
AGENT_MESSAGE = '{"type":"agent_message","message":"%s"}'
ASSISTANT_ITEM = '{"type":"message","role":"assistant","content":[{"type":"output_text","text":"%s"}]}'
FUNCTION_CALL = ('{"type":"function_call","name":"shell","arguments":"{\\"command\\":[\\"bash\\",\\"-lc\\",'
                 '\\"%s\\"],\\"workdir\\":\\"%s\\",\\"timeout_ms\\":120000}","call_id":"%s"}')
FUNCTION_OUTPUT = ('{"type":"function_call_output","call_id":"%s",'
                   '"output":"Exit code: %d\\nWall time: %.1f seconds\\nOutput:\\n%s"}')
TASK_COMPLETE = '{"type":"task_complete","turn_id":"%s","last_agent_message":null}'
_SHELL = ("rg -n retry src", "pytest -q", "sed -n 1,200p src/app.py", "git diff", "cargo test")


def _usage(u: list[int]) -> str:
    return USAGE % (u[0], u[1], u[2], u[3], u[0] + u[2])


class Rollout:
    """One rollout file being written: lines, clock, model, and one cumulative counter per lane."""

    __slots__ = ("calls", "ctx", "cwd", "first_t", "history", "id", "kind", "lane_mix", "lanes", "lean",
                 "marks", "meta_payload", "model", "new_style", "parts", "regress_at", "rel", "root", "size",
                 "t")

    def __init__(self, tid: str, t: int, cwd: str, model: str, kind: str = "plain") -> None:
        self.id = self.root = tid
        self.kind = kind
        self.cwd = cwd
        self.parts: list[str] = []
        self.size = 0
        self.t = self.first_t = t
        self.model = model
        self.lanes: dict[str, list[int]] = {}
        self.history: list[tuple[str, str]] = []  # replayable (type, payload): turn_context, token_count
        # per counted call: (history length, lane, cumulative total, ts)
        self.marks: list[tuple[int, str, list[int], int]] = []
        self.new_style = t >= NEW_RATE_LIMITS_MS
        self.ctx = 0
        self.lane_mix = False
        self.regress_at = -1
        self.calls = 0
        self.meta_payload = ""
        self.rel = ""
        self.lean = False  # many tiny files: only the lines usage needs plus a prompt


class CodexWriter:
    def __init__(self, g) -> None:
        self.g = g
        self.rng = g.rng
        self.ids = g.ids
        self.pools = g.pools
        self.count = 0
        self.keys: set[tuple] = set()
        self.parents: list[Rollout] = []  # recent single-day, single-lane plain rollouts that can be forked

    def _line(self, R: Rollout, typ: str, payload: str, ts: int | None = None, replay: bool = False) -> None:
        line = LINE % (iso(R.t if ts is None else ts), typ, payload)
        R.parts.append(line)
        R.size += len(line)
        if replay:
            R.history.append((typ, payload))

    def _rate_limits(self, R: Rollout, lane: str) -> str:
        rng = self.rng
        p, s = rng.randrange(0, 1000) / 10, rng.randrange(0, 1000) / 10
        if not R.new_style:
            return LIMITS_OLD % (p, rng.randrange(60, 18000), s, rng.randrange(3600, 600_000))
        reset = R.t // 1000 + rng.randrange(60, 18000)
        name = "null" if lane == "codex" else '"GPT-5.1-Codex-Max"'
        return LIMITS % (lane, name, p, reset, s, reset + 400_000)

    def _session_meta(self, R: Rollout, extra: str = "", source: str = '"cli"') -> None:
        rng = self.rng
        frac = (R.t - CODEX_START_MS) / (PERIOD_END_MS - CODEX_START_MS)
        version = "0.%d.0" % (36 + int(60 * max(0.0, min(1.0, frac))))
        instr = self.pools.take(rng, rng.randrange(self.g.cap // 8, self.g.cap // 2 + 1))
        repo = R.cwd.rsplit("/", 1)[-1]
        commit = self.ids.hexs(40)
        R.meta_payload = META % (R.id, iso(R.t), R.cwd, version, source, instr, commit, repo, extra)
        self._line(R, "session_meta", R.meta_payload)

    def _turn_context(self, R: Rollout) -> None:
        extra = ""
        if R.new_style:
            extra = ',"turn_id":"%s","current_date":"%s","timezone":"America/Los_Angeles"' % (
                self.ids.uuid7(R.t), iso(R.t)[:10])
        payload = TURN_CONTEXT % (R.cwd, R.model, self.rng.choice(("low", "medium", "medium", "high")), extra)
        self._line(R, "turn_context", payload, replay=True)

    def _call(self, R: Rollout) -> None:
        """One model response: a token_count whose lane total advances (or resets), counted once."""
        rng, g = self.rng, self.g
        lane = "codex" if R.new_style else "default"
        if R.lane_mix:
            lane = _LANES[R.calls % 2] if R.calls < 2 else rng.choice(_LANES)
        inp = R.ctx + rng.randrange(200, 3000)
        cached = min(inp, (R.ctx // 256) * 256) if R.calls or rng.random() < 0.5 else 0
        out = int(rng.lognormvariate(5.5, 1.0)) + 10
        reasoning = rng.randrange(0, out * 4 // 5 + 1) if rng.random() < 0.8 else 0
        last = [inp, cached, out, reasoning]
        prev = R.lanes.get(lane)
        total = None
        if R.calls == R.regress_at:
            cand = [p // 3 + x for p, x in zip(prev, last)] if prev is not None else []
            if prev is not None and any(c < p for c, p in zip(cand, prev)):
                total = cand  # compaction or reset: the counter went down, last_token_usage is the call
                g.feats.mark("regression")
            else:
                R.regress_at += 1
        if total is None:
            total = [p + x for p, x in zip(prev, last)] if prev is not None else last[:]
        while (R.root, R.model, tuple(total)) in self.keys:
            last[2] += 1
            total[2] += 1
        self.keys.add((R.root, R.model, tuple(total)))
        R.lanes[lane] = total
        R.calls += 1
        g.truth.add(R.t, "codex", R.model, inp - cached, last[2], 0, cached, reasoning)
        info = INFO % (_usage(total), _usage(last))
        payload = TOKEN_COUNT % (info, self._rate_limits(R, lane))
        self._line(R, "event_msg", payload, replay=True)
        R.marks.append((len(R.history), lane, total[:], R.t))
        R.ctx = inp + last[2]
        if g.feats.want("reemit", 0.12):
            # the same totals again (rate-limit refresh, stream boundary): not a new call
            R.t += rng.randrange(200, 5000)
            self._line(R, "event_msg", TOKEN_COUNT % (info, self._rate_limits(R, lane)), replay=True)
            g.feats.mark("reemit")
        if R.lane_mix and len(R.lanes) > 1:
            g.feats.mark("lanes")

    def _turn(self, R: Rollout, budget: int, first: bool) -> None:
        rng, pools, cap = self.rng, self.pools, self.g.cap
        feats = self.g.feats
        R.t += rng.randrange(15_000, 900_000)
        if not first and feats.want("model_switch", 0.03):
            R.model = CODEX_MODELS[1 - CODEX_MODELS.index(R.model)]
            feats.mark("model_switch")
        self._turn_context(R)
        if feats.want("info_null", 0.25):
            lane = "codex" if R.new_style else "default"
            self._line(R, "event_msg", TOKEN_COUNT % ("null", self._rate_limits(R, lane)))
            feats.mark("info_null")
        if first and not R.lean:
            self._line(R, "response_item", ENV_CONTEXT % R.cwd)
        prompt = pools.take(rng, rng.randrange(30, max(60, min(1500, cap // 3))))
        if not R.lean:
            self._line(R, "response_item", USER_ITEM % prompt)
        self._line(R, "event_msg", USER_MESSAGE % prompt)
        R.ctx += len(prompt) // 4
        steps = rng.randrange(1, 7)
        for step in range(steps):
            last = step == steps - 1 or R.size + self.g.reserve >= budget
            R.t += rng.randrange(2000, 60_000)
            if not R.lean:
                summary = pools.take(rng, rng.randrange(20, 80))
                blob = pools.b64_take(rng, rng.randrange(300, max(400, cap // 3)))
                self._line(R, "response_item", REASONING % (summary, blob))
                self._line(R, "event_msg", AGENT_REASONING % pools.take(rng, rng.randrange(20, 200)))
            if last:
                text = pools.take(rng, rng.randrange(50, max(100, cap // 5)))
                self._line(R, "event_msg", AGENT_MESSAGE % text)
                self._line(R, "response_item", ASSISTANT_ITEM % text)
                self._call(R)
                break
            call_id = "call_" + self.ids.b62(24)
            self._line(R, "response_item", FUNCTION_CALL % (rng.choice(_SHELL), R.cwd, call_id))
            self._call(R)
            R.t += rng.randrange(200, 30_000)
            output = pools.take(rng, rng.randrange(min(400, cap // 4), max(500, cap // 2)))
            code, wall = rng.choice((0, 0, 0, 1)), rng.random() * 9
            self._line(R, "response_item", FUNCTION_OUTPUT % (call_id, code, wall, output))
            R.ctx += len(output) // 4
        if rng.random() < 0.5 and not R.lean:
            self._line(R, "event_msg", TASK_COMPLETE % self.ids.uuid7(R.t))

    @staticmethod
    def _owes_a_case(R: Rollout) -> bool:
        """A rollout picked for two lanes or a regression keeps going until it has shown it."""
        return (R.lane_mix and len(R.lanes) < 2) or (R.regress_at >= 0 and R.calls <= R.regress_at)

    def _replay(self, R: Rollout, P: Rollout, upto: int, ts: int) -> None:
        """A fork or subagent copies its parent's history, every line stamped with the fork time."""
        for typ, payload in P.history[:upto]:
            self._line(R, typ, payload, ts=ts, replay=True)

    def _pick_parent(self) -> Rollout | None:
        return self.rng.choice(self.parents) if self.parents else None

    def session(self, start: int, budget: int) -> None:
        g, rng, feats = self.g, self.rng, self.g.feats
        feats.turn = self.count
        self.count += 1
        spare = g.files_left("codex") - 1
        P = self._pick_parent()
        kind = "plain"
        if P is not None and feats.want("fork", 0.07):
            fork_t = P.t + rng.randrange(MIN_MS, 30 * MIN_MS)
            if day_bounds(fork_t)[0] == day_bounds(P.first_t)[0]:
                kind = "fork"
        if kind == "plain" and P is not None and feats.want("subagent", 0.07):
            kind = "subagent"
        if kind == "plain":
            day0, _ = day_bounds(start)
            if rng.random() < 0.9:  # most sessions stay inside one UTC day (fork parents must)
                start = max(start, day0 + MIN_MS)
                start = min(start, day0 + 15 * 3_600_000)
            R = Rollout(self.ids.uuid7(start), start, rng.choice(CODEX_CWDS), rng.choice(CODEX_MODELS))
            R.ctx = rng.randrange(6000, 14_000)  # instructions, tools and AGENTS.md before the first prompt
            self._session_meta(R)
            if feats.want("lanes", 0.1) and R.new_style:
                R.lane_mix = True
            if feats.want("regression", 0.07):
                R.regress_at = rng.randrange(2, 6)
            first = True
        elif kind == "fork":
            assert P is not None
            R = Rollout(self.ids.uuid7(fork_t), fork_t, P.cwd, P.model, kind)
            R.root = P.root
            R.new_style = P.new_style
            self._session_meta(R, extra=',"forked_from_id":"%s"' % P.id)
            # forks embed the parent's meta after their own; the first one is canonical
            self._line(R, "session_meta", P.meta_payload)
            self._replay(R, P, len(P.history), fork_t)
            R.lanes = {k: v[:] for k, v in P.lanes.items()}
            R.ctx = P.ctx
            first = False
            feats.mark("fork")
        else:
            assert P is not None
            k = rng.randrange(len(P.marks))
            upto, lane, total, t_k = P.marks[k]
            sub_t = t_k + rng.randrange(2000, 60_000)
            if day_bounds(sub_t)[0] != day_bounds(P.first_t)[0]:
                sub_t = t_k + 1
            R = Rollout(self.ids.uuid7(sub_t), sub_t, P.cwd, P.model, kind)
            R.root = P.root
            R.new_style = P.new_style
            nick = rng.choice(("Euclid", "Noether", "Hopper", "Lovelace"))
            extra = ',"thread_source":"subagent","agent_nickname":"%s","agent_role":"worker"' % nick
            self._session_meta(R, extra=extra, source=SPAWN % (P.id, nick))
            self._replay(R, P, upto, sub_t)
            R.lanes = {lane: total[:]}
            R.ctx = P.ctx // 2
            first = False
            feats.mark("subagent")
        R.lean = bool(g.file_budget) and budget < 5000
        i = 0
        while R.size + g.slack < budget or i == 0 or (i < 50 and self._owes_a_case(R)):
            self._turn(R, budget, first and i == 0)
            i += 1
        local = time.gmtime(R.first_t // 1000 + LOCAL_OFFSET_S)
        name = "rollout-%04d-%02d-%02dT%02d-%02d-%02d-%s.jsonl" % (*local[:6], R.id)
        R.rel = ".codex/sessions/%04d/%02d/%02d/%s" % (local[0], local[1], local[2], name)
        data = g.sink.write(R.rel, R.parts, "codex")
        R.parts = []
        if spare > 0 and feats.want("archive_copy", 0.05):
            g.sink.write_bytes(".codex/archived_sessions/" + name, data, "codex")
            feats.mark("archive_copy")
        # single-day, single-lane plain rollouts can be forked: their replayed calls then share a UTC day
        if (kind == "plain" and not R.lane_mix and R.new_style and R.marks
                and R.first_t // DAY_MS == R.t // DAY_MS and R.t % DAY_MS < DAY_MS - 40 * MIN_MS):
            self.parents.append(R)
            if len(self.parents) > 20:
                del self.parents[0]
