"""The benchmark corpus generator (bench/corpus.py): layout, ugly cases, totals, determinism.

The app's scan is tested elsewhere; here a small independent reader written from LOG-FORMATS.md
checks that the logs the generator writes really encode the totals it claims.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from bench.corpus import append_claude, complete_partial_lines, generate

SIZE = 2_000_000
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
              "reasoning_tokens", "total_tokens", "events")
ROW_KEYS = ["date", "source", "model", "input_tokens", "output_tokens", "cache_creation_tokens",
            "cache_read_tokens", "reasoning_tokens", "total_tokens", "events", "is_estimate"]
CLAUDE_MODELS = {"claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001"}
CODEX_MODELS = {"gpt-5-codex", "gpt-5.1-codex"}


# --- an independent reader (LOG-FORMATS §2.1, §2.3, §2.4, §3.1, §3.2) -------------------------------


def _lines(path: Path) -> list[bytes]:
    """Complete lines only: the fragment after the last newline is still being written."""
    return path.read_bytes().split(b"\n")[:-1]


def _objects(path: Path):
    for raw in _lines(path):
        try:
            obj = json.loads(raw.decode("utf-8", "replace"))
        except ValueError:
            continue
        if isinstance(obj, dict):
            yield obj


def _claude_calls(root: Path) -> list[tuple]:
    best: dict[tuple, tuple] = {}
    for path in sorted((root / ".claude" / "projects").rglob("*.jsonl")):
        if path.name == "journal.jsonl":
            continue
        for obj in _objects(path):
            msg = obj.get("message")
            if obj.get("type") != "assistant" or not isinstance(msg, dict):
                continue
            usage, mid, model = msg.get("usage"), msg.get("id"), msg.get("model")
            if not mid or not isinstance(usage, dict) or model == "<synthetic>":
                continue
            side = bool(obj.get("isSidechain"))
            u = (usage.get("input_tokens") or 0, usage.get("output_tokens") or 0,
                 usage.get("cache_creation_input_tokens") or 0, usage.get("cache_read_input_tokens") or 0)
            entry = (not side, u[1], sum(u), obj["timestamp"], model, u, side)
            key = (mid, obj.get("requestId") or "")
            if key not in best or entry[:3] > best[key][:3]:
                best[key] = entry
    kept_ids = {mid for (mid, _), e in best.items() if not e[6]}
    return [e for (mid, _), e in best.items() if not (e[6] and mid in kept_ids)]


def _codex_calls(root: Path) -> list[tuple]:
    seen: dict[tuple, tuple] = {}
    codex = root / ".codex"
    files = sorted((codex / "sessions").rglob("*.jsonl"))
    files += sorted((codex / "archived_sessions").glob("*.jsonl"))
    fields = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
    for path in files:
        thread, model, prev = None, None, {}
        for obj in _objects(path):
            kind, p = obj.get("type"), obj.get("payload") or {}
            if kind == "session_meta" and thread is None:
                src = p.get("source")
                spawn = src.get("subagent", {}).get("thread_spawn", {}) if isinstance(src, dict) else {}
                parent = spawn.get("parent_thread_id") if isinstance(spawn, dict) else None
                thread = p.get("forked_from_id") or parent or p["id"]
            elif kind == "turn_context":
                model = p.get("model") or model
            elif kind == "event_msg" and p.get("type") == "token_count" and p.get("info"):
                lane = (p.get("rate_limits") or {}).get("limit_id") or "default"
                total = tuple(p["info"]["total_token_usage"][f] for f in fields)
                last = tuple(p["info"]["last_token_usage"][f] for f in fields)
                before = prev.get(lane)
                if before == total:
                    continue
                if before is not None and all(a >= b for a, b in zip(total, before)):
                    delta = tuple(a - b for a, b in zip(total, before))
                else:
                    delta = last
                prev[lane] = total
                seen.setdefault((thread, model, total), (obj["timestamp"], model, delta))
    return list(seen.values())


def reference_report(root: Path) -> dict:
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0] * 6)
    for _, _, _, ts, model, (inp, out, cw, cr), _ in _claude_calls(root):
        c = cells[(ts[:10], "claude", model)]
        for i, v in enumerate((inp, out, cw, cr, 0, 1)):
            c[i] += v
    for ts, model, (inp, cached, out, reasoning) in _codex_calls(root):
        c = cells[(ts[:10], "codex", model)]
        for i, v in enumerate((inp - min(cached, inp), out, 0, min(cached, inp), reasoning, 1)):
            c[i] += v
    rows = []
    for (day, source, model), c in sorted(cells.items()):
        rows.append({"date": day, "source": source, "model": model, "input_tokens": c[0],
                     "output_tokens": c[1], "cache_creation_tokens": c[2], "cache_read_tokens": c[3],
                     "reasoning_tokens": c[4], "total_tokens": c[0] + c[1] + c[2] + c[3], "events": c[5],
                     "is_estimate": False})
    totals = {k: sum(r[k] for r in rows) for k in TOKEN_KEYS}
    return {"rows": rows, "totals": totals}


def _add(a: dict, b: dict) -> dict:
    cells = {(r["date"], r["source"], r["model"]): dict(r) for r in a["rows"]}
    for r in b["rows"]:
        key = (r["date"], r["source"], r["model"])
        if key in cells:
            for k in TOKEN_KEYS:
                cells[key][k] += r[k]
        else:
            cells[key] = dict(r)
    rows = [cells[k] for k in sorted(cells)]
    return {"rows": rows, "totals": {k: sum(r[k] for r in rows) for k in TOKEN_KEYS}}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("home")
    return root, generate(root, SIZE, seed=7)


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _claude_lines(root: Path):
    """(path, raw line, parsed object or None) for every Claude transcript line."""
    for path in sorted((root / ".claude" / "projects").rglob("*.jsonl")):
        for raw in _lines(path):
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            yield path, raw, obj


def _codex_files(root: Path) -> list[Path]:
    return sorted((root / ".codex").rglob("*.jsonl"))


# --- layout and report shape ------------------------------------------------------------------


def test_files_are_where_the_assistants_put_them(corpus):
    root, out = corpus
    projects = root / ".claude" / "projects"
    mains = [p for p in projects.glob("*/*.jsonl")]
    assert len(mains) >= 10
    subagents = list(projects.glob("*/*/subagents/agent-*.jsonl"))
    assert subagents
    metas = list(projects.glob("*/*/subagents/agent-*.meta.json"))
    assert metas and all("agentType" in json.loads(m.read_text()) for m in metas)
    assert list(projects.glob("*/*/subagents/workflows/wf1/journal.jsonl"))
    rollouts = list((root / ".codex" / "sessions").glob("[0-9]*/[0-9][0-9]/[0-9][0-9]/rollout-*.jsonl"))
    assert rollouts
    for p in rollouts:
        y, m, d = p.parts[-4:-1]
        assert p.name.startswith(f"rollout-{y}-{m}-{d}T")
    assert list((root / ".codex" / "archived_sessions").glob("rollout-*.jsonl"))
    assert json.loads((root / "expected.json").read_text()) == {"rows": out["rows"], "totals": out["totals"]}


def test_size_and_share_follow_the_target(corpus):
    root, out = corpus
    on_disk = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
    assert abs(on_disk - SIZE) <= SIZE * 0.1
    assert 0.7 <= out["bytes"]["claude"] / sum(out["bytes"].values()) <= 0.9


def test_rows_have_the_report_shape_and_totals_are_their_sum(corpus):
    _, out = corpus
    rows = out["rows"]
    assert rows
    keys = [(r["date"], r["source"], r["model"]) for r in rows]
    assert keys == sorted(set(keys))
    for r in rows:
        assert list(r) == ROW_KEYS
        assert r["is_estimate"] is False and r["events"] > 0
        parts = ("input_tokens", "cache_creation_tokens", "cache_read_tokens", "output_tokens")
        assert r["total_tokens"] == sum(r[k] for k in parts)
        assert r["model"] in (CLAUDE_MODELS if r["source"] == "claude" else CODEX_MODELS)
        if r["source"] == "claude":
            assert r["reasoning_tokens"] == 0
        else:
            assert r["cache_creation_tokens"] == 0 and r["reasoning_tokens"] <= r["output_tokens"]
    assert {r["source"] for r in rows} == {"claude", "codex"}
    assert out["totals"] == {k: sum(r[k] for r in rows) for k in TOKEN_KEYS}
    assert len({r["date"][:7] for r in rows}) >= 8  # spread over most of a year


def test_an_independent_reader_gets_the_expected_totals(corpus):
    root, out = corpus
    assert reference_report(root) == {"rows": out["rows"], "totals": out["totals"]}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 600_000, seed=3)
    generate(b, 600_000, seed=3)
    generate(c, 600_000, seed=4)
    assert _tree_digest(a) == _tree_digest(b)
    assert _tree_digest(a) != _tree_digest(c)


def test_refuses_a_root_that_already_has_logs(corpus):
    root, _ = corpus
    with pytest.raises(FileExistsError):
        generate(root, 100_000)


def test_files_forces_the_file_count(tmp_path):
    out = generate(tmp_path, 600_000, seed=2, files=150)
    assert len(list(tmp_path.rglob("*.jsonl"))) == 150
    assert sum(out["files"].values()) == 150
    on_disk = sum(p.stat().st_size for p in tmp_path.rglob("*.jsonl"))
    assert abs(on_disk - 600_000) <= 60_000
    assert reference_report(tmp_path) == {"rows": out["rows"], "totals": out["totals"]}


# --- Claude Code ugly cases --------------------------------------------------------------------


def test_claude_block_lines_streaming_snapshots_and_gateways(corpus):
    root, _ = corpus
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for path, _, obj in _claude_lines(root):
        if obj and obj.get("type") == "assistant" and obj["message"].get("model") != "<synthetic>":
            m = obj["message"]
            groups[(m["id"], obj.get("requestId"))].append((path, m["usage"], m["stop_reason"], obj))
    # one response written as 2-4 lines, each with the full usage
    assert any(2 <= len(g) <= 4 and len({json.dumps(u) for _, u, _, _ in g}) == 1 for g in groups.values())
    # streaming snapshots: early lines say 1 or 9 output tokens, the last the real count
    streaming = [g for g in groups.values()
                 if any(u["output_tokens"] in (1, 9) and stop is None for _, u, stop, _ in g[:-1])
                 and g[-1][1]["output_tokens"] > 9]
    assert streaming
    # gateways: no requestId at all, the message id repeated over the blocks
    gateway = [g for (mid, rid), g in groups.items() if rid is None and len(g) >= 2]
    assert gateway and all("requestId" not in o for g in gateway for *_, o in g)


def test_claude_copies_across_files_and_btw_replays(corpus):
    root, _ = corpus
    files_of: dict[tuple, set] = defaultdict(set)
    nonside_req: dict[str, set] = defaultdict(set)
    side_lines = []
    for path, _, obj in _claude_lines(root):
        if not obj or obj.get("type") != "assistant" or path.name == "journal.jsonl":
            continue
        key = (obj["message"]["id"], obj.get("requestId"))
        if obj.get("isSidechain"):
            side_lines.append(key)
        else:
            files_of[key].add(path)
            nonside_req[key[0]].add(key[1])
    # resume / fork copy: the same message in two main transcripts
    assert any(len(paths) >= 2 for paths in files_of.values())
    # /btw: a sidechain line with an existing message id and a new requestId
    assert any(mid in nonside_req and rid not in nonside_req[mid] for mid, rid in side_lines)


def test_claude_subagents_synthetic_costs_nulls(corpus):
    root, _ = corpus
    seen = defaultdict(int)
    for path, raw, obj in _claude_lines(root):
        if obj is None:
            continue
        if "/subagents/" in path.as_posix() and path.name != "journal.jsonl":
            parent_sid = path.parts[-3] if path.parent.name == "subagents" else path.parts[-5]
            assert obj.get("isSidechain") is True and obj.get("sessionId") == parent_sid
            if path.parent.name == "subagents":
                seen["subagent"] += 1
            if path.name.startswith("agent-acompact-"):
                seen["compact"] += 1
        msg = obj.get("message")
        if isinstance(msg, dict) and msg.get("model") == "<synthetic>":
            assert not any(v for v in msg["usage"].values() if isinstance(v, int))
            seen["synthetic"] += 1
        if isinstance(obj.get("costUSD"), float):
            seen["cost"] += 1
        if "costUSD" in obj and obj["costUSD"] is None:
            seen["cost_null"] += 1
        if "gitBranch" in obj and obj["gitBranch"] is None:
            seen["null_branch"] += 1
        content = msg.get("content") if isinstance(msg, dict) else None
        if obj.get("toolUseResult") is not None and isinstance(content, list):
            block = msg["content"][0]
            if block.get("type") == "tool_result":
                seen["tool_result"] += 1
                seen["tool_error"] += block["is_error"] is True
        if isinstance(msg, dict) and isinstance(msg.get("content"), str) and obj.get("type") == "user":
            seen["prompt"] += 1
        if isinstance(msg, dict) and isinstance(msg.get("content"), list):
            for block in msg["content"]:
                if block.get("type") == "tool_use":
                    seen["tool_" + block["name"]] += 1
                    assert isinstance(block["input"], dict)
    for name in ("subagent", "compact", "synthetic", "cost", "cost_null", "null_branch", "tool_result",
                 "tool_error", "prompt", "tool_Read", "tool_Edit", "tool_Bash"):
        assert seen[name] > 0, name


def test_claude_bad_lines_and_a_partial_last_line(corpus):
    root, out = corpus
    invalid_json = bad_utf8 = 0
    for path, raw, obj in _claude_lines(root):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_utf8 += 1
            assert json.loads(raw.decode("utf-8", "replace"))["type"] == "user"  # an otherwise ignored line
        if obj is None and path.name != "journal.jsonl":
            invalid_json += 1
    assert invalid_json and bad_utf8
    unfinished = sorted(str(p) for p in root.rglob("*.jsonl") if not p.read_bytes().endswith(b"\n"))
    assert unfinished == sorted(p["path"] for p in out["partial_lines"])
    assert all(p["delta"]["totals"]["events"] == 1 for p in out["partial_lines"])
    journal = next(root.rglob("journal.jsonl"))
    assert b'"usage"' in journal.read_bytes()  # usage-shaped, but it must be ignored


def test_claude_lines_are_big_and_timestamps_are_iso_utc(corpus):
    root, _ = corpus
    sizes = sorted(len(raw) for _, raw, _ in _claude_lines(root))
    assert sizes[-1] > 15_000 and sizes[len(sizes) // 2] > 1000
    stamps = [obj["timestamp"] for _, _, obj in _claude_lines(root) if obj and "timestamp" in obj]
    assert all(len(s) == 24 and s.endswith("Z") and s[19] == "." for s in stamps)


# --- Codex ugly cases --------------------------------------------------------------------------


def _codex_objects(path: Path) -> list[dict]:
    return [json.loads(raw) for raw in _lines(path)]


def test_codex_rollout_structure(corpus):
    root, _ = corpus
    seen = defaultdict(int)
    for path in _codex_files(root):
        objs = _codex_objects(path)
        assert objs[0]["type"] == "session_meta"
        for o in objs:
            p = o["payload"]
            if o["type"] == "turn_context":
                assert p["model"] in CODEX_MODELS
                seen["turn_context"] += 1
            elif o["type"] == "event_msg" and p["type"] == "token_count":
                if p["info"] is None:
                    seen["info_null"] += 1
                elif "limit_id" in (p["rate_limits"] or {}):
                    seen["limit_id"] += 1
            elif o["type"] in ("event_msg", "response_item"):
                seen[p["type"]] += 1
    for name in ("turn_context", "info_null", "limit_id", "user_message", "function_call",
                 "function_call_output", "reasoning"):
        assert seen[name] > 0, name


def _lane_events(objs: list[dict]):
    for o in objs:
        p = o["payload"]
        if o["type"] == "event_msg" and p["type"] == "token_count" and p["info"]:
            yield (p["rate_limits"] or {}).get("limit_id"), p["info"]["total_token_usage"], o["timestamp"]


def test_codex_reemits_lanes_and_regressions(corpus):
    root, _ = corpus
    reemit = lanes = regress = 0
    for path in _codex_files(root):
        prev: dict = {}
        ids = set()
        for lane, total, _ in _lane_events(_codex_objects(path)):
            ids.add(lane)
            before = prev.get(lane)
            if before == total:
                reemit += 1
            elif before and any(total[k] < before[k] for k in before):
                regress += 1
            prev[lane] = total
        lanes += len(ids) >= 2
    assert reemit and lanes and regress


def test_codex_forks_subagents_and_archived_copies(corpus):
    root, _ = corpus
    metas = {}
    for path in (root / ".codex" / "sessions").rglob("*.jsonl"):
        objs = _codex_objects(path)
        metas[objs[0]["payload"]["id"]] = (path, objs)
    forks = subagents = 0
    for path, objs in metas.values():
        meta = objs[0]["payload"]
        parent = meta.get("forked_from_id")
        src = meta["source"]
        if isinstance(src, dict):
            parent = src["subagent"]["thread_spawn"]["parent_thread_id"]
            assert src["subagent"]["thread_spawn"]["depth"] == 1
            subagents += 1
        elif parent:
            forks += 1
            # the parent's meta is embedded after the fork's own
            assert objs[1]["type"] == "session_meta" and objs[1]["payload"]["id"] == parent
        if not parent:
            continue
        parent_totals = [json.dumps(t) for _, t, _ in _lane_events(metas[parent][1])]
        mine = list(_lane_events(objs))
        replayed = [e for e in mine if json.dumps(e[1]) in parent_totals]
        assert replayed and len({ts for _, _, ts in replayed}) == 1  # rewritten to the fork time
        assert len(mine) > len(replayed)  # then new calls of its own
    assert forks and subagents
    archived = list((root / ".codex" / "archived_sessions").glob("*.jsonl"))
    by_name = {p.name: p for p in (root / ".codex" / "sessions").rglob("*.jsonl")}
    assert archived and all(p.read_bytes() == by_name[p.name].read_bytes() for p in archived)


# --- mutations: appends and finished partial lines ---------------------------------------------


def test_append_claude_and_complete_partial_lines_return_exact_deltas(tmp_path):
    out = generate(tmp_path, 800_000, seed=11)
    before = reference_report(tmp_path)
    assert before == {"rows": out["rows"], "totals": out["totals"]}
    sizes = {p: p.stat().st_size for p in tmp_path.rglob("*.jsonl")}

    delta = append_claude(tmp_path, 200_000, seed=1)
    assert delta["totals"]["events"] > 0 and {r["source"] for r in delta["rows"]} == {"claude"}
    grown = sum(p.stat().st_size for p in tmp_path.rglob("*.jsonl")) - sum(sizes.values())
    assert 150_000 <= grown <= 450_000
    assert any(p.stat().st_size > n for p, n in sizes.items())  # existing files grew
    partial = {Path(p["path"]) for p in out["partial_lines"]}
    assert all(p.stat().st_size == sizes[p] for p in partial)  # never appended after a half line
    after = reference_report(tmp_path)
    assert after == _add(before, delta)
    assert json.loads((tmp_path / "expected.json").read_text()) == after

    done = complete_partial_lines(tmp_path)
    assert done["totals"]["events"] == len(out["partial_lines"]) >= 1
    assert all(p.read_bytes().endswith(b"\n") for p in tmp_path.rglob("*.jsonl"))
    final = reference_report(tmp_path)
    assert final == _add(after, done)
    assert json.loads((tmp_path / "expected.json").read_text()) == final
    assert complete_partial_lines(tmp_path)["totals"]["events"] == 0

    again = append_claude(tmp_path, 100_000, seed=1)  # a second append adds new calls, not copies
    assert again["totals"]["events"] > 0
    assert reference_report(tmp_path) == _add(final, again)
    assert os.path.exists(tmp_path / "bench-state.json")
