"""A realistic sample HOME for `tokenmirror demo`, the screenshots and the UI benchmark.

`build_demo(root)` writes, under `root`, what a developer's machine holds after a few weeks:
Claude Code transcripts (~/.claude/projects) and Codex rollouts (~/.codex/sessions) in the
documented formats (LOG-FORMATS §3.1, §3.2), and git repositories whose history is the user's
own commits (some with AI co-author trailers) plus a colleague's, in the folders the logs name
as their working directory. Deterministic for a given seed and day. No Qt here.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from desktop.periods import zone
from desktop.sources.base import Environment

DEMO_NAME = "Sam Rivera"
DEMO_EMAIL = "sam@example.dev"
COLLEAGUE = ("Alex Kim", "alex@example.dev")
PROJECTS = ("shop-api", "web-dashboard", "infra-scripts", "billing-worker")
CLAUDE_MODELS = (("claude-sonnet-4-6", 0.72), ("claude-opus-4-6", 0.18), ("claude-haiku-4-5-20251001", 0.10))
CODEX_MODELS = (("gpt-5.1-codex", 0.75), ("gpt-5.1-codex-max", 0.25))
PROMPTS = {
    "shop-api": ["Add pagination to GET /orders and keep the response shape backwards compatible",
                 "The checkout test is flaky on CI, find out why", "Refactor the discount rules into a strategy table",
                 "Write a migration that backfills order.currency", "Why does the cart endpoint return 500 for guests?"],
    "web-dashboard": ["Make the revenue chart respect the user's time zone", "Add a dark mode toggle to the settings page",
                      "The table header misaligns when the sidebar collapses", "Split Dashboard.tsx into smaller components",
                      "Add loading skeletons to the KPI cards"],
    "infra-scripts": ["Write a script that rotates the staging TLS certificates", "Terraform plan fails on the VPC module",
                      "Add a dry-run flag to deploy.sh", "Summarise what changed in the nginx config since last week"],
    "billing-worker": ["Retry failed invoice webhooks with exponential backoff", "Add idempotency keys to the charge job",
                       "The worker leaks memory over a day, profile it", "Port the proration maths to integer cents"],
}  # fmt: skip
TOOLS = (("Read", 0.34), ("Edit", 0.2), ("Bash", 0.22), ("Grep", 0.12), ("Write", 0.06), ("Glob", 0.06))
FILES = {
    "shop-api": ["app/orders.py", "app/cart.py", "app/discounts.py", "tests/test_orders.py", "migrations/0042_currency.py"],
    "web-dashboard": ["src/Dashboard.tsx", "src/RevenueChart.tsx", "src/settings/Theme.tsx", "src/kpi/Card.tsx"],
    "infra-scripts": ["deploy.sh", "certs/rotate.py", "terraform/vpc/main.tf", "nginx/site.conf"],
    "billing-worker": ["worker/invoices.py", "worker/charges.py", "worker/proration.py", "tests/test_charges.py"],
}  # fmt: skip


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_project(cwd: str) -> str:
    """Claude Code's folder name for a cwd: every character outside [A-Za-z0-9] becomes '-'."""
    return "".join(c if c.isalnum() else "-" for c in cwd)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _write(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, separators=(",", ":")) + "\n")


@dataclass
class PlannedSession:
    tool: str  # claude | codex
    project: str
    start: datetime  # local, aware
    calls: int
    heavy: bool = False


@dataclass
class Repo:
    name: str
    path: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    commits: list[tuple[datetime, str, str, str, dict[str, list[str]]]] = field(default_factory=list)


# --- Claude Code (LOG-FORMATS §3.1) -----------------------------------------------------------
def claude_session(rng: random.Random, plan: PlannedSession, cwd: str) -> list[dict[str, Any]]:
    session = str(uuid.UUID(int=rng.getrandbits(128)))
    model = _pick(rng, CLAUDE_MODELS)
    t = plan.start
    lines: list[dict[str, Any]] = []
    parent = None
    context = rng.randint(14_000, 22_000)

    def base(kind: str, moment: datetime) -> dict[str, Any]:
        nonlocal parent
        uid = str(uuid.UUID(int=rng.getrandbits(128)))
        line = {"type": kind, "timestamp": iso(moment), "sessionId": session, "cwd": cwd, "version": "2.1.40",
                "gitBranch": "main", "isSidechain": False, "userType": "external", "uuid": uid, "parentUuid": parent}  # fmt: skip
        parent = uid
        return line

    prompt_texts = PROMPTS[plan.project]
    for call in range(plan.calls):
        if call == 0 or rng.random() < 0.12:
            prompt = base("user", t)
            prompt["message"] = {"role": "user", "content": rng.choice(prompt_texts) if call == 0 else rng.choice(
                ["yes, go ahead", "run the tests again", "that broke the build, revert the last change",
                 "looks good, now update the docs", "use the existing helper instead"])}  # fmt: skip
            lines.append(prompt)
            t += timedelta(seconds=rng.randint(20, 240))
        msg_id = f"msg_01{rng.getrandbits(64):016x}"
        request = f"req_01{rng.getrandbits(64):016x}"
        write = rng.randint(300, 6000) if rng.random() < 0.45 else 0
        read = context
        context += write + rng.randint(200, 2500)
        if plan.heavy:
            read += rng.randint(40_000, 90_000)
        output = rng.randint(60, 1800) if not plan.heavy else rng.randint(400, 3200)
        usage = {"input_tokens": rng.randint(3, 40), "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
                 "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
                 "output_tokens": output, "service_tier": "standard"}  # fmt: skip
        blocks: list[dict[str, Any]] = [{"type": "text", "text": "Let me look at that."}]
        tool_ids = []
        if rng.random() < 0.8:
            name = _pick(rng, TOOLS)
            tool_id = f"toolu_01{rng.getrandbits(64):016x}"
            args: dict[str, Any] = {"command": "pytest -q"} if name == "Bash" else {"file_path": f"{cwd}/{rng.choice(FILES[plan.project])}"}
            if name in ("Edit", "Write"):
                args.update(old_string="a", new_string="b")
            blocks.append({"type": "tool_use", "id": tool_id, "name": name, "input": args})
            tool_ids.append(tool_id)
        for i, block in enumerate(blocks):  # one line per content block, each repeating the full usage
            line = base("assistant", t + timedelta(milliseconds=300 * i))
            line["requestId"] = request
            line["message"] = {"id": msg_id, "model": model, "role": "assistant", "type": "message", "content": [block],
                               "stop_reason": "tool_use" if block["type"] == "tool_use" else None, "usage": usage}  # fmt: skip
            lines.append(line)
        t += timedelta(seconds=rng.randint(4, 50))
        for tool_id in tool_ids:
            result = base("user", t)
            failed = rng.random() < 0.07
            result["message"] = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id,
                                 "content": "Error: command failed" if failed else "ok", "is_error": failed}]}  # fmt: skip
            lines.append(result)
            t += timedelta(seconds=rng.randint(2, 30))
    return lines


# --- Codex (LOG-FORMATS §3.2) -----------------------------------------------------------------
def codex_session(rng: random.Random, plan: PlannedSession, cwd: str) -> tuple[str, list[dict[str, Any]]]:
    thread = str(uuid.UUID(int=rng.getrandbits(128)))
    model = _pick(rng, CODEX_MODELS)
    t = plan.start
    lines: list[dict[str, Any]] = [
        {"timestamp": iso(t), "type": "session_meta", "payload": {"id": thread, "timestamp": iso(t), "cwd": cwd,
         "originator": "codex_cli_rs", "cli_version": "0.121.0", "source": "cli", "model_provider": "openai",
         "git": {"branch": "main"}}},
        {"timestamp": iso(t), "type": "turn_context", "payload": {"cwd": cwd, "model": model, "effort": "medium",
         "approval_policy": "on-request", "summary": "auto"}},
    ]  # fmt: skip
    total = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
    context = rng.randint(9_000, 16_000)
    for call in range(plan.calls):
        if call == 0 or rng.random() < 0.15:
            text = rng.choice(PROMPTS[plan.project]) if call == 0 else rng.choice(
                ["continue", "now add tests", "explain the failure", "apply the same fix to the other handler"])  # fmt: skip
            lines.append({"timestamp": iso(t), "type": "event_msg", "payload": {"type": "user_message", "message": text}})
            t += timedelta(seconds=rng.randint(15, 120))
        if rng.random() < 0.7:
            call_id = f"call_{rng.getrandbits(48):012x}"
            name = "shell" if rng.random() < 0.7 else "apply_patch"
            args = json.dumps({"command": ["bash", "-lc", "pytest -q"]}) if name == "shell" else json.dumps(
                f"*** Begin Patch\n*** Update File: {rng.choice(FILES[plan.project])}\n@@\n-a\n+b\n*** End Patch")  # fmt: skip
            lines.append({"timestamp": iso(t), "type": "response_item", "payload": {"type": "function_call", "name": name,
                          "arguments": args, "call_id": call_id}})  # fmt: skip
            code = 1 if rng.random() < 0.08 else 0
            output = json.dumps({"output": "done", "metadata": {"exit_code": code, "duration_seconds": 1.2}})
            lines.append({"timestamp": iso(t + timedelta(seconds=2)), "type": "response_item",
                          "payload": {"type": "function_call_output", "call_id": call_id, "output": output}})  # fmt: skip
        context += rng.randint(600, 3500)
        inp = context + (rng.randint(20_000, 50_000) if plan.heavy else 0)
        cached = int(inp * rng.uniform(0.6, 0.92))
        out = rng.randint(150, 2500)
        reasoning = int(out * rng.uniform(0.2, 0.6))
        last = {"input_tokens": inp, "cached_input_tokens": cached, "output_tokens": out,
                "reasoning_output_tokens": reasoning, "total_tokens": inp + out}  # fmt: skip
        for k in total:
            total[k] += last[k]
        t += timedelta(seconds=rng.randint(5, 60))
        event = {"timestamp": iso(t), "type": "event_msg", "payload": {"type": "token_count", "info": {
            "total_token_usage": dict(total), "last_token_usage": last, "model_context_window": 272000},
            "rate_limits": {"limit_id": "codex", "primary": {"used_percent": 4.0, "window_minutes": 300}}}}  # fmt: skip
        lines.append(event)
        if rng.random() < 0.15:  # Codex re-emits unchanged totals (rate-limit refresh): must not count twice
            again = json.loads(json.dumps(event))
            again["timestamp"] = iso(t + timedelta(seconds=1))
            lines.append(again)
    return thread, lines


# --- git --------------------------------------------------------------------------------------
def _content_line(rng: random.Random, project: str) -> str:
    words = ("order", "cart", "total", "user", "invoice", "retry", "chart", "token", "config", "cache", "limit")
    return f"{rng.choice(words)}_{rng.randint(1, 999)} = {rng.choice(words)}({rng.randint(0, 99)})"


def plan_commit(rng: random.Random, repo: Repo, when: datetime, author: tuple[str, str], subject: str,
                trailer: str | None) -> None:  # fmt: skip
    changed: dict[str, list[str]] = {}
    for path in rng.sample(FILES[repo.name], k=rng.randint(1, min(3, len(FILES[repo.name])))):
        lines = list(repo.files.get(path, []))
        drop = min(len(lines), rng.randint(0, 12))
        for _ in range(drop):
            lines.pop(rng.randrange(len(lines)))
        for _ in range(rng.randint(3, 60)):
            lines.insert(rng.randint(0, len(lines)), _content_line(rng, repo.name))
        repo.files[path] = lines
        changed[path] = lines
    message = subject + (f"\n\n{trailer}\n" if trailer else "\n")
    repo.commits.append((when, author[0], author[1], message, changed))


def write_repo(repo: Repo) -> None:
    """All commits in one `git fast-import` stream: exact dates, fast even for a year of history."""
    repo.path.mkdir(parents=True, exist_ok=True)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(repo.path),
           "PATH": "/usr/bin:/bin:/usr/local/bin"}  # fmt: skip
    if sys.platform == "win32":
        import os

        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    git = ["git", "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null"]
    subprocess.run([*git, "init", "-q", str(repo.path)], check=True, env=env)
    stream: list[bytes] = []
    for mark, (when, name, email, message, changed) in enumerate(sorted(repo.commits, key=lambda c: c[0]), start=1):
        stamp = f"{int(when.timestamp())} {when.strftime('%z')}"
        body = message.encode()
        stream.append(f"commit refs/heads/main\nmark :{mark}\nauthor {name} <{email}> {stamp}\n"
                      f"committer {name} <{email}> {stamp}\ndata {len(body)}\n".encode() + body + b"\n")  # fmt: skip
        if mark > 1:
            stream.append(f"from :{mark - 1}\n".encode())
        for path, lines in changed.items():
            data = ("\n".join(lines) + "\n").encode()
            stream.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        stream.append(b"\n")
    subprocess.run([*git, "-C", str(repo.path), "fast-import", "--quiet"], input=b"".join(stream), check=True, env=env)
    subprocess.run([*git, "-C", str(repo.path), "config", "user.email", DEMO_EMAIL], check=True, env=env)
    subprocess.run([*git, "-C", str(repo.path), "config", "user.name", DEMO_NAME], check=True, env=env)
    subprocess.run([*git, "-C", str(repo.path), "reset", "--hard", "-q"], check=True, env=env)


# --- the plan ---------------------------------------------------------------------------------
def plan_sessions(rng: random.Random, first: date, last: date, tz: tzinfo, now: datetime) -> list[PlannedSession]:
    sessions: list[PlannedSession] = []
    day = first
    while day <= last:
        weekend = day.weekday() >= 5
        count = rng.choice((0, 0, 1)) if weekend else rng.choice((1, 2, 2, 3, 3, 4))
        focus = rng.choice(PROJECTS[:3]) if day.isocalendar()[1] % 2 else rng.choice(PROJECTS)
        for _ in range(count):
            hour = rng.randint(8, 18) if not weekend else rng.randint(10, 16)
            start = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)
            if start > now - timedelta(minutes=30):
                continue
            project = focus if rng.random() < 0.65 else rng.choice(PROJECTS)
            tool = "claude" if rng.random() < 0.62 else "codex"
            sessions.append(PlannedSession(tool, project, start, rng.randint(8, 45) if tool == "claude" else rng.randint(5, 25),
                                           heavy=rng.random() < 0.08))  # fmt: skip
        day += timedelta(days=1)
    return sessions


def build_demo(root: Path, seed: int = 7, weeks: int = 6, today: date | None = None,
               tz: tzinfo | None = None, git: bool = True) -> Environment:  # fmt: skip
    """Write the sample HOME under `root` and return an Environment pointing at it."""
    root = Path(root)
    rng = random.Random(seed)
    tz = tz or zone(None)
    now = datetime.now(tz)
    today = today or now.date()
    if today != now.date():
        now = datetime(today.year, today.month, today.day, 18, 0, tzinfo=tz)
    first = today - timedelta(days=weeks * 7 - 1)
    code = root / "code"
    repos = {name: Repo(name, code / name) for name in PROJECTS}
    for repo in repos.values():  # some history from before the logs begin
        plan_commit(rng, repo, datetime.combine(first - timedelta(days=30), datetime.min.time(), tz) + timedelta(hours=10),
                    (DEMO_NAME, DEMO_EMAIL), f"Initial {repo.name} layout", None)  # fmt: skip
    for plan in plan_sessions(rng, first, today, tz, now):
        cwd = str(code / plan.project)
        if plan.tool == "claude":
            lines = claude_session(rng, plan, cwd)
            session = lines[0]["sessionId"]
            _write(root / ".claude" / "projects" / encode_project(cwd) / f"{session}.jsonl", lines)
        else:
            thread, lines = codex_session(rng, plan, cwd)
            stamp = plan.start.strftime("%Y-%m-%dT%H-%M-%S")
            _write(root / ".codex" / "sessions" / plan.start.strftime("%Y/%m/%d") / f"rollout-{stamp}-{thread}.jsonl",
                   lines)  # fmt: skip
        if plan.heavy and rng.random() < 0.7:
            continue  # a costly session that never reached a commit
        repo = repos[plan.project]
        when = plan.start + timedelta(minutes=rng.randint(25, 150))
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            when += timedelta(minutes=rng.randint(5, 70))
            if when > now:
                break
            trailer = None
            if plan.tool == "claude" and rng.random() < 0.55:
                trailer = "Co-Authored-By: Claude <noreply@anthropic.com>"
            elif plan.tool == "codex" and rng.random() < 0.3:
                trailer = "Co-authored-by: Codex <codex@openai.com>"
            subject = rng.choice(PROMPTS[plan.project]).split(",")[0][:60]
            plan_commit(rng, repo, when, (DEMO_NAME, DEMO_EMAIL), subject, trailer)
    day = first
    while day <= today:  # a colleague commits too: not "me", so never counted
        if day.weekday() < 5 and rng.random() < 0.4:
            when = datetime(day.year, day.month, day.day, rng.randint(9, 17), rng.randint(0, 59), tzinfo=tz)
            if when < now:
                plan_commit(rng, repos[rng.choice(PROJECTS)], when, COLLEAGUE, "Review fixes", None)
        day += timedelta(days=1)
    if git:
        for repo in repos.values():
            write_repo(repo)
    env = {"HOME": str(root), "XDG_CONFIG_HOME": str(root / ".config"), "XDG_DATA_HOME": str(root / ".local" / "share")}
    return Environment(home=root, env=env, platform=sys.platform)
