"""Running git safely and reading its history: real repositories built in tmp_path.

Also home of the small repository builder the other test_commits_* files import.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from desktop.commits import git, log, repos
from desktop.commits.git import GitError
from desktop.commits.trailers import ai_tools

ME = ("Dev Me", "me@example.com")
OTHER = ("Ann Other", "ann@example.com")


# --- the builder ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def git_global(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A global git config of our own: the developer's real ~/.gitconfig is never read."""
    config = tmp_path_factory.mktemp("gitglobal") / "gitconfig"
    config.write_text(f"[user]\n\tname = {ME[0]}\n\temail = {ME[1]}\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.delenv(name, raising=False)
    return config


def ms(when: str) -> int:
    return int(datetime.fromisoformat(when).replace(tzinfo=timezone.utc).timestamp() * 1000)


def sh(repo: Path, *args: str, when: str | None = None, author: tuple[str, str] = ME, **env: str) -> str:
    """Run the real git as a developer would (test setup only: the code under test uses desktop.commits.git)."""
    full = dict(os.environ, GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1], GIT_COMMITTER_NAME=author[0],
                GIT_COMMITTER_EMAIL=author[1], **env)  # fmt: skip
    if when:
        stamp = f"@{ms(when) // 1000} +0000"
        full.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    done = subprocess.run(["git", *args], cwd=repo, env=full, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    sh(path, "init", "-q", "-b", "main")
    return path


def commit(
    repo: Path,
    files: dict[str, str | None],
    message: str,
    when: str = "2026-03-02T10:00:00",
    author: tuple[str, str] = ME,
) -> str:
    """Write (or with None delete) files, commit them all, return the sha."""
    for name, content in files.items():
        target = repo / name
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    sh(repo, "add", "-A")
    sh(repo, "commit", "-q", "--allow-empty", "-m", message, when=when, author=author)
    return sh(repo, "rev-parse", "HEAD")


def lines(n: int, word: str = "line") -> str:
    return "".join(f"{word} {i}\n" for i in range(n))


# --- running git --------------------------------------------------------------------------------


def test_git_runs_with_list_arguments_and_a_clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/nonexistent")  # the caller's git variables never leak in
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "/bin/false")
    env = git.git_env()
    assert "GIT_DIR" not in env and "GIT_EXTERNAL_DIFF" not in env
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_TERMINAL_PROMPT"] == "0" and env["LC_ALL"] == "C"
    assert env["GIT_OPTIONAL_LOCKS"] == "0" and env["GIT_CONFIG_GLOBAL"] == os.environ["GIT_CONFIG_GLOBAL"]
    argv = git.command(["log"])
    assert argv[1] == "--no-pager" and "core.fsmonitor=false" in argv and "core.hooksPath=/dev/null" in argv
    assert "diff.external=" in argv and "core.pager=cat" in argv


def test_a_hostile_repository_config_runs_nothing(tmp_path: Path) -> None:
    """core.fsmonitor, pager, diff drivers, textconv, gpg and hooks all name a script; none may run."""
    repo = init(tmp_path / "evil")
    commit(repo, {"a.txt": "one\n", "img.bin": "x\n", ".gitattributes": "*.txt diff=evil\n*.bin diff=evil\n"}, "first")
    commit(repo, {"a.txt": "one\ntwo\n"}, "second", when="2026-03-02T11:00:00")
    marker = tmp_path / "pwned"
    script = tmp_path / "payload.sh"
    script.write_text(f"#!/bin/sh\necho ran \"$0 $*\" >> {marker}\ncat\n")
    script.chmod(0o755)
    hooks = repo / ".git" / "hooks"
    for hook in ("post-checkout", "reference-transaction", "post-index-change"):
        (hooks / hook).write_text(f"#!/bin/sh\necho hook >> {marker}\n")
        (hooks / hook).chmod(0o755)
    with open(repo / ".git" / "config", "a") as fh:
        fh.write(
            f"[core]\n\tfsmonitor = {script}\n\tpager = {script}\n\teditor = {script}\n\thooksPath = {hooks}\n"
            f"[diff]\n\texternal = {script}\n[diff \"evil\"]\n\ttextconv = {script}\n\tcommand = {script}\n"
            f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {script}\n[pager]\n\tlog = {script}\n"
            f"[alias]\n\tlog = !{script}\n[user]\n\temail = work@example.com\n"
        )
    where = repos.locate(str(repo))
    assert where is not None and where.root == repo.resolve()
    tips = log.branch_tips(where.git_dir)
    records = list(log.read_commits(where.git_dir, tips=tips))
    assert [r.subject for r in records] == ["second", "first"]
    assert records[0].files == [("a.txt", 1, 0)]  # plain numstat: the textconv driver did not run
    assert len(log.reachable(where.git_dir, tips)) == 2
    from desktop.commits import identity

    assert identity.repo_emails(where.git_dir) == {"work@example.com"}
    git.run(["status", "--porcelain"], cwd=repo)  # reads the index: where core.fsmonitor would run
    git.run(["diff", "HEAD~1"], cwd=repo)  # where diff.external and textconv would run
    assert not marker.exists(), marker.read_text()
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, timeout=30)  # control: plain git runs it
    assert marker.exists()


def test_a_timeout_is_an_error_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stuck = tmp_path / "stuck-git"
    stuck.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")  # a child of its own holds the pipe open too
    stuck.chmod(0o755)
    monkeypatch.setattr(git, "git_binary", lambda: str(stuck))
    with pytest.raises(GitError, match="longer than"):
        list(git.stream(["log"], cwd=tmp_path, timeout=0.3))
    with pytest.raises(GitError, match="longer than"):
        git.run(["log"], cwd=tmp_path, timeout=0.3)


def test_git_failure_is_a_git_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="failed"):
        git.run(["rev-parse", "HEAD"], cwd=tmp_path)


# --- reading history ----------------------------------------------------------------------------


def test_log_reads_times_lines_files_merges_and_odd_paths(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    first = commit(repo, {"src/a.py": lines(10), "we ird\tname.txt": "x\n"}, "first", when="2026-03-02T09:30:00")
    (repo / "bin.dat").write_bytes(b"\x00\x01\x02")
    second = commit(repo, {"src/a.py": lines(8) + "new\n", "docs/ü.md": "hi\n"}, "second\n\nbody\x1e\x1ewith marker",
                    when="2026-03-02T10:00:00", author=OTHER)  # fmt: skip
    sh(repo, "checkout", "-q", "-b", "side", first)
    side = commit(repo, {"side.txt": lines(3)}, "side", when="2026-03-02T10:30:00")
    sh(repo, "checkout", "-q", "main")
    sh(repo, "merge", "-q", "--no-ff", "--no-edit", "side", when="2026-03-02T11:00:00")
    merge = sh(repo, "rev-parse", "HEAD")
    git_dir = repo / ".git"
    found = {r.sha: r for r in log.read_commits(git_dir, tips=log.branch_tips(git_dir))}
    assert set(found) == {first, second, side, merge}
    assert found[first].files == [("src/a.py", 10, 0), ("we ird\tname.txt", 1, 0)]
    assert found[first].author_ts_ms == ms("2026-03-02T09:30:00") and not found[first].is_merge
    assert sorted(found[second].files) == [("bin.dat", None, None), ("docs/ü.md", 1, 0), ("src/a.py", 1, 2)]
    assert (found[second].insertions, found[second].deletions) == (2, 2)
    assert found[second].author_email == OTHER[1] and found[second].message.endswith("with marker")
    assert found[merge].is_merge and found[merge].files == [] and found[merge].parents == (second, side)
    only = list(log.read_commits(git_dir, shas=[side]))
    assert [r.sha for r in only] == [side]


def test_a_repository_without_commits_has_no_tips(tmp_path: Path) -> None:
    repo = init(tmp_path / "empty")
    assert log.branch_tips(repo / ".git") == []
    assert list(log.read_commits(repo / ".git", tips=[])) == []


def test_parse_survives_any_chunking() -> None:
    body = (b"\x1e\x1e" + b"a" * 40 + b"\x1f\x1fMe\x1fme@x\x1fMe\x1f100\x1f100\x1fsubject\n\x1f\x00\n3\t1\tsrc/x.py\x00"
            b"\x1e\x1e" + b"b" * 40 + b"\x1f" + b"a" * 40 + b"\x1fMe\x1fme@x\x1fMe\x1f200\x1f200\x1fnext\n\x1f\x00")  # fmt: skip
    whole = list(log.parse([body]))
    for size in (1, 7, 64):
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        assert list(log.parse(parts)) == whole
    assert [(r.sha[0], r.files, r.author_ts_ms) for r in whole] == [("a", [("src/x.py", 3, 1)], 100_000), ("b", [], 200_000)]


@pytest.mark.parametrize(
    ("message", "author", "committer", "expected"),
    [
        ("fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>", "Me", "Me", ("claude",)),
        ("fix\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)", "Me", "Me", ("claude",)),
        ("fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", "Me", "Me", ("copilot",)),
        ("fix\n\nCo-authored-by: Codex <codex@openai.com>", "Me", "Me", ("codex",)),
        ("fix\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", "Me", "Me", ("cursor",)),
        ("fix\n\nCo-authored-by: gemini-code-assist[bot] <bot@google.com>", "Me", "Me", ("gemini",)),
        ("fix", "Dev Me (aider)", "Dev Me (aider)", ("aider",)),
        ("fix", "Dev Me", "Dev Me (aider)", ("aider",)),
        ("fix\n\nCo-authored-by: Claude <noreply@anthropic.com>\nCo-authored-by: Copilot <c@github.com>", "Me", "Me",
         ("claude", "copilot")),
        ("fix\n\nCo-authored-by: Ann Other <ann@example.com>", "Me", "Me", ()),
        ("the cursor moves; generated with the openapi generator", "Me", "Me", ()),
    ],
)
def test_ai_tools_from_trailers(message: str, author: str, committer: str, expected: tuple[str, ...]) -> None:
    assert ai_tools(message, author, committer) == expected
