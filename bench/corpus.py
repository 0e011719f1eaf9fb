"""Benchmark corpus: a fake HOME of Claude Code and Codex logs plus the totals a correct reader reports.
With `mix=True` a quarter of the bytes go to six other assistants (bench/_mix.py).

An independent implementation of the counting rules of LOG-FORMATS.md: the totals come from the
billed calls the generator created (its ground truth), never from re-parsing what it wrote.

    generate(root, target_bytes, seed=1, files=None, mix=False) -> {"rows", "totals", "partial_lines", ...}
    append_claude(root, nbytes, seed) -> {"rows", "totals"}          the increase a rescan must show
    complete_partial_lines(root) -> {"rows", "totals"}                ditto, after finishing partial lines

`root/expected.json` always holds the report (`report daily --json --by-model --tz UTC`, without
cost_usd) for the files as they are now; `root/bench-state.json` is what the two mutators need.
Stdlib only: it runs without the app's venv (`python -m bench.corpus ROOT --size-mb 50`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from ._claude import CLAUDE_FEATURES, ClaudeWriter
from ._claude_lines import Session
from ._codex import CODEX_FEATURES, CodexWriter
from ._common import (
    CODEX_START_MS,
    DAY_MS,
    HOUR_MS,
    PERIOD_END_MS,
    PERIOD_START_MS,
    Features,
    Ids,
    Pools,
    Sink,
    Truth,
)
from ._mix import MIX_DIRS, MIX_SHARE, write_mix

EXPECTED = "expected.json"
STATE = "bench-state.json"
CLAUDE_SHARE = 0.8
MAX_LINE_CONTENT = 20_000


class Gen:
    """What the writers share: one seeded rng, ids, text pools, the ground truth and the file sink."""

    def __init__(self, root: Path, key: str, cap: int = MAX_LINE_CONTENT, file_budget: int = 0,
                 quota: dict[str, int] | None = None) -> None:
        self.rng = random.Random(key)
        self.ids = Ids(self.rng)
        self.pools = Pools(random.Random(key + ":text"))
        self.truth = Truth()
        self.sink = Sink(root)
        self.cap = cap
        self.file_budget = file_budget
        self.quota = quota
        self.feats: Features | None = None
        self.reserve = 4 * cap if file_budget else 0  # small files: stop a turn before it overshoots
        self.slack = 2 * cap if file_budget else 0  # ... and skip a turn that would mostly overshoot

    def files_left(self, source: str) -> int:
        if self.quota is None:
            return 1 << 30
        return self.quota[source] - self.sink.files[source]


def generate(root: Path, target_bytes: int, seed: int = 1, files: int | None = None,
             mix: bool = False) -> dict:
    """Writes the corpus under `root` (a fake HOME) and returns the expected report.

    The result also has `partial_lines` ([{path, delta}]: lines left without their newline),
    `bytes` and `files` per source, and `features` (how often each ugly case was written).
    Sizes land within about 10% of `target_bytes`. `files` forces the exact number of .jsonl
    files (many small files for rescan tests); a realistic session file is at least ~2.8 KB on
    average, so with `files` a smaller target ends up at that floor.

    `mix=True`: about 25% of the bytes are Gemini CLI, Qwen Code, Copilot CLI, pi, Amp and OpenCode logs
    (their own rng: bench/_mix.py); the result then also has `cases` (per source and case, the report
    of the calls only that case's files hold). `mix=False` writes exactly what it always wrote.
    """
    root = Path(root)
    if mix and files:
        raise ValueError("files forces the Claude and Codex file count: it does not combine with mix")
    for name in (".claude", ".codex", EXPECTED, STATE) + (MIX_DIRS if mix else ()):
        if (root / name).exists():
            raise FileExistsError(f"{root / name} exists: generate() needs an empty root")
    root.mkdir(parents=True, exist_ok=True)
    target = int(target_bytes)
    quota = None
    cap = MAX_LINE_CONTENT
    file_budget = 0
    if files:
        files = int(files)
        if files < 1:
            raise ValueError("files must be at least 1")
        quota = {"codex": files // 5, "claude": files - files // 5}
        file_budget = max(1, target // files)
        cap = int(min(MAX_LINE_CONTENT, max(300, file_budget // 4)))
    g = Gen(root, f"tokenmirror-bench:{seed}", cap, file_budget, quota)
    mix_target = int(target * MIX_SHARE) if mix else 0
    claude_target = int((target - mix_target) * CLAUDE_SHARE)
    codex_target = target - mix_target - claude_target

    g.feats = claude_feats = Features(g.rng, CLAUDE_FEATURES)
    cw = ClaudeWriter(g)
    _fill(g, "claude", claude_target, PERIOD_START_MS, cw.session)
    partial = cw.partial_line(cw.last_main, Truth()) if cw.last_main else None

    g.feats = codex_feats = Features(g.rng, CODEX_FEATURES)
    xw = CodexWriter(g)
    if not quota or quota["codex"]:
        _fill(g, "codex", codex_target, CODEX_START_MS, xw.session)
    mixed = write_mix(g, mix_target, seed) if mix else None

    report = g.truth.report()
    _write_json(root / EXPECTED, report)
    state: dict[str, Any] = {
        "version": 1,
        "seed": seed,
        "cap": cap,
        "appends": 0,
        "partial_lines": [partial] if partial else [],
        "claude_sessions": cw.sessions,
    }
    if mixed:
        state["mix"] = True
    _write_json(root / STATE, state)
    features = {"claude": dict(claude_feats.seen), "codex": dict(codex_feats.seen)}
    if mixed:
        features.update(mixed["features"])
    return {
        **report,
        "partial_lines": [{"path": str(root / p["path"]), "delta": p["delta"]}
                          for p in state["partial_lines"]],
        "bytes": dict(g.sink.bytes),
        "files": dict(g.sink.files),
        "features": features,
        **({"cases": mixed["cases"]} if mixed else {}),
    }


def _fill(g: Gen, source: str, target: int, first_ms: int, session) -> None:
    """Sessions in time order until the byte target (or the file quota) is reached."""
    rng, sink = g.rng, g.sink
    span = PERIOD_END_MS - first_ms - 2 * DAY_MS
    if g.quota is not None:
        quota = g.quota[source]
        while sink.files[source] < quota:
            done = sink.files[source]
            budget = max(200, (target - sink.bytes[source]) // (quota - done))
            session(first_ms + span * done // quota + rng.randrange(12 * HOUR_MS), budget)
        return
    mean = min(600_000, max(15_000, target // 40))
    while sink.bytes[source] < target:
        done = sink.bytes[source]
        budget = min(int(mean * rng.uniform(0.3, 1.7)), max(5000, target - done))
        session(first_ms + int(span * done / target) + rng.randrange(12 * HOUR_MS), budget)


def append_claude(root: Path, nbytes: int, seed: int = 1) -> dict:
    """Appends about `nbytes` of new turns to existing Claude sessions (and one new session).

    Returns the report delta a rescan must add; expected.json is updated to match.
    """
    root = Path(root)
    state = _read_json(root / STATE)
    n = state["appends"]
    state["appends"] = n + 1
    g = Gen(root, f"tokenmirror-bench:{state['seed']}:append:{n}:{seed}", state["cap"])
    g.feats = Features(g.rng, CLAUDE_FEATURES)
    for name in CLAUDE_FEATURES:
        g.feats.mark(name)  # nothing forced: appended data only has the per-response cases, at their rates
    cw = ClaudeWriter(g)
    truth = Truth()
    rng = g.rng
    busy = {p["path"] for p in state["partial_lines"]}
    sessions = [s for s in state["claude_sessions"] if s["path"] not in busy]
    t0 = PERIOD_END_MS + n * DAY_MS + 8 * HOUR_MS
    new_done = False
    while sum(g.sink.bytes.values()) < nbytes:
        left = nbytes - sum(g.sink.bytes.values())
        budget = min(left, rng.randrange(20_000, 200_000))
        if sessions and (new_done or rng.random() < 0.7):
            st = rng.choice(sessions)
            S = Session(st["path"], st["sid"], st["cwd"], st["branch"], st["version"], st["model"],
                        max(st["t"], t0))
            S.parent, S.ctx, S.gateway = st["parent"], st["ctx"], st["gateway"]
            S.first_call, S.cached = False, st["ctx"] * 9 // 10
            mode = "ab"
        else:
            S = cw.new_session(t0 + rng.randrange(8 * HOUR_MS))
            st = S.state()
            state["claude_sessions"].append(st)
            sessions.append(st)
            new_done = True
            mode = "wb"
        while S.size < budget:
            cw.turn(S, budget, truth)
        g.sink.write(S.rel, S.parts, "claude", mode=mode)
        st.update(parent=S.parent, t=S.t, ctx=S.ctx)
        t0 = max(t0, S.t)
    _write_json(root / STATE, state)
    return _apply_delta(root, truth)


def complete_partial_lines(root: Path) -> dict:
    """Finishes every line left without its newline; returns the report delta this adds."""
    root = Path(root)
    state = _read_json(root / STATE)
    truth = Truth()
    for p in state["partial_lines"]:
        with open(root / p["path"], "ab") as f:
            f.write(p["rest"].encode("utf-8", "surrogateescape"))
        truth.merge(Truth.from_report(p["delta"]))
    state["partial_lines"] = []
    _write_json(root / STATE, state)
    return _apply_delta(root, truth)


def _apply_delta(root: Path, delta: Truth) -> dict:
    expected = Truth.from_report(_read_json(root / EXPECTED))
    expected.merge(delta)
    _write_json(root / EXPECTED, expected.report())
    return delta.report()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.corpus",
                                 description="Write a benchmark corpus (a fake HOME).")
    ap.add_argument("root", type=Path)
    ap.add_argument("--size-mb", type=float, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=None)
    ap.add_argument("--mix", action="store_true", help="a quarter of the bytes from six other assistants")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    try:
        out = generate(args.root, int(args.size_mb * 1e6), args.seed, args.files, mix=args.mix)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dt = time.perf_counter() - t
    size = sum(out["bytes"].values())
    totals = out["totals"]
    nfiles = sum(out["files"].values())
    print(f"{size / 1e6:.1f} MB in {nfiles} files, {dt:.2f} s ({size / 1e6 / dt:.0f} MB/s); "
          f"{len(out['rows'])} rows, {totals['events']} calls, {totals['total_tokens']:,} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
