"""Commit reading benchmark: a 10,000-commit repository, sessions working in it, cold and warm refreshes.

    python bench/bench_commits.py [--commits 10000] [--sessions 500] [--keep DIR]

Builds the repository with `git fast-import` (seconds), writes Claude Code sessions whose cwd is the
repository and whose Edit calls touch its files, ingests them (not timed), then times refresh_commits:
cold (map the cwd, read every commit, link every session), warm (nothing changed), after one new
commit, and after an amend (one commit replaced). Target: cold under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

START_S = 1_767_225_600  # 2026-01-01T00:00:00Z
STEP_S = 1_800  # a commit every half hour: 10,000 commits span about seven months
FILES = [f"src/module_{i:03d}.py" for i in range(80)] + [f"docs/page_{i:02d}.md" for i in range(20)]
AUTHORS = [("Dev Me", "me@example.com")] * 6 + [("Ann Other", "ann@example.com"), ("Bo Third", "bo@example.com")]
TRAILERS = ["", "", "", "\nCo-Authored-By: Claude <noreply@anthropic.com>\n", "\nCo-authored-by: Copilot <c@github.com>\n"]


def build_repository(path: Path, commits: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    contents: dict[str, list[str]] = {}
    out: list[bytes] = []
    for n in range(1, commits + 1):
        name, email = rng.choice(AUTHORS)
        when = START_S + n * STEP_S
        message = f"change {n}\n{rng.choice(TRAILERS)}".encode()
        out.append(f"commit refs/heads/main\nmark :{n}\n".encode())
        out.append(f"author {name} <{email}> {when} +0000\ncommitter {name} <{email}> {when} +0000\n".encode())
        out.append(b"data %d\n%s\n" % (len(message), message))
        if n > 1:
            out.append(f"from :{n - 1}\n".encode())
        for path_name in rng.sample(FILES, rng.randint(1, 3)):
            body = contents.setdefault(path_name, [])
            body.extend(f"line {n} {k}\n" for k in range(rng.randint(1, 6)))
            if len(body) > 60:
                del body[: rng.randint(1, 10)]
            blob = "".join(body).encode()
            out.append(f"M 100644 inline {path_name}\n".encode() + b"data %d\n%s\n" % (len(blob), blob))
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(out), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)


def write_sessions(home: Path, repo: Path, commits: int, sessions: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    folder = home / ".claude" / "projects" / "".join(c if c.isalnum() else "-" for c in str(repo))
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(sessions):
        sid = f"00000000-0000-4000-8000-{s:012d}"
        start = START_S + rng.randint(1, commits) * STEP_S - 3600
        lines = []
        for i in range(rng.randint(2, 12)):
            ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 60 * i))
            block = {"type": "text", "text": "ok"}
            if i % 3 == 2:
                block = {"type": "tool_use", "id": f"t{s}-{i}", "name": "Edit",
                         "input": {"file_path": str(repo / rng.choice(FILES)), "old_string": "a", "new_string": "b"}}  # fmt: skip
            lines.append({"type": "assistant", "timestamp": ts, "sessionId": sid, "cwd": str(repo), "version": "2.1.40",
                          "uuid": f"u{s}-{i}", "requestId": f"r{s}-{i}",
                          "message": {"id": f"m{s}-{i}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                                      "content": [block], "usage": {"input_tokens": 100, "output_tokens": 50,
                                                                    "cache_read_input_tokens": 2000,
                                                                    "cache_creation_input_tokens": 0}}})  # fmt: skip
        (folder / f"{sid}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def timed(label: str, action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:7.3f} s")
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="build in this folder and leave it (default: a temporary one)")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="tm-bench-commits-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    gitconfig = work / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Dev Me\n\temail = me@example.com\n")
    os.environ.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1", TZ="UTC")

    from desktop.commits.refresh import refresh_commits
    from desktop.ingest import run_scan
    from desktop.periods import zone
    from desktop.pricing import PriceTable
    from desktop.reports.commits import commits_by_day, commits_report
    from desktop.reports.usage import Window
    from desktop.sources import SOURCES, Environment
    from desktop.store import Store

    try:
        repo = work / "repo"
        if repo.exists():
            shutil.rmtree(repo)
        timed(f"build {args.commits:,} commits (fast-import)", lambda: build_repository(repo, args.commits))
        write_sessions(home, repo, args.commits, args.sessions)
        db = work / "archive.sqlite"
        for leftover in work.glob("archive.sqlite*"):
            leftover.unlink()
        store = Store.open(db)
        environment = Environment(home=home, env=dict(os.environ), platform=sys.platform)
        timed(f"ingest {args.sessions} sessions (not the target)", lambda: run_scan(store, SOURCES, environment, PriceTable.load()))
        cold, summary = timed("refresh_commits cold", lambda: refresh_commits(store))
        print(f"  {summary.line()}")
        warm, _ = timed("refresh_commits warm (no change)", lambda: refresh_commits(store))
        (repo / "NEW.md").write_text("new\n")
        subprocess.run(["git", "add", "NEW.md"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "one more"], cwd=repo, check=True)
        timed("refresh_commits after 1 commit", lambda: refresh_commits(store))
        subprocess.run(["git", "commit", "-q", "--amend", "-m", "one more, amended"], cwd=repo, check=True)
        _, amended = timed("refresh_commits after an amend", lambda: refresh_commits(store))
        print(f"  {amended.line()}")
        window = Window(tz=zone("UTC"))
        timed("commits_by_day (chart)", lambda: commits_by_day(store, window))
        _, report = timed("commits_report (all days)", lambda: commits_report(store, window))
        totals = report["totals"]
        print(f"  report: {len(report['rows'])} rows, {totals['commits']:,} of my commits, "
              f"{totals['linked_sessions']} linked sessions, delivery share {totals['delivery_share']}")  # fmt: skip
        store.close()
        verdict = "ok" if cold < 5.0 else "SLOW"
        print(f"cold refresh {cold:.2f} s for {args.commits:,} commits (target < 5 s): {verdict}; warm {warm * 1000:.0f} ms")
        return 0 if cold < 5.0 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
