"""Reading history with `git log --numstat`: branch tips, what is reachable now, and the commits not seen yet.

What counts: every commit reachable from a local branch or from HEAD, now. A commit that stops being
reachable (amended, rebased away, its branch deleted) is removed on the next refresh; its rewritten
successor is read as a new commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop.commits import git
from desktop.commits.trailers import ai_tools

RECORD = b"\x1e\x1e"  # starts each commit; fields are split by \x1f, the message ends with \x1f and NUL
FORMAT = "--format=%x1e%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cn%x1f%at%x1f%ct%x1f%B%x1f"
_SHA = re.compile(rb"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# Exactly the commits handed in; no diff tool, no textconv, no rename guessing, NUL-separated raw paths
LOG_ARGS = ["log", FORMAT, "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color",
            "--no-relative", "--no-mailmap", "--no-show-signature", "--encoding=UTF-8"]  # fmt: skip


@dataclass(slots=True)
class CommitRecord:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    committer_name: str
    author_ts_ms: int
    committer_ts_ms: int
    message: str
    files: list[tuple[str, int | None, int | None]] = field(default_factory=list)  # path, added, removed

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def insertions(self) -> int:
        return sum(a or 0 for _, a, _ in self.files)

    @property
    def deletions(self) -> int:
        return sum(d or 0 for _, _, d in self.files)

    @property
    def ai_tools(self) -> tuple[str, ...]:
        return ai_tools(self.message, self.author_name, self.committer_name)


def branch_tips(git_dir: Path) -> list[str]:
    """Sorted distinct shas of every local branch and HEAD; [] for a repository without commits."""
    done = git.run(["show-ref", "--head", "--heads"], git_dir=git_dir, check=False)
    if done.returncode not in (0, 1):
        raise git.GitError(f"git show-ref failed in {git_dir}: {done.stderr.decode('utf-8', 'replace').strip()}")
    tips = set()
    for line in done.stdout.decode("ascii", "replace").splitlines():
        sha, _, ref = line.partition(" ")
        if ref == "HEAD" or ref.startswith("refs/heads/"):
            tips.add(sha)
    return sorted(tips)


def reachable(git_dir: Path, tips: list[str]) -> set[str]:
    """Every commit reachable from the tips."""
    if not tips:
        return set()
    data = b"".join(git.stream(["rev-list", "--stdin"], git_dir=git_dir, stdin=_lines(tips)))
    return set(data.decode("ascii").split())


def read_commits(git_dir: Path, *, tips: list[str] | None = None, shas: Iterable[str] | None = None) -> Iterator[CommitRecord]:
    """Everything reachable from `tips`, or exactly the commits `shas` names."""
    if shas is not None:
        wanted = list(shas)
        if not wanted:
            return
        args, stdin = LOG_ARGS + ["--no-walk=unsorted", "--stdin"], _lines(wanted)
    else:
        if not tips:
            return
        args, stdin = LOG_ARGS + ["--stdin"], _lines(tips)
    yield from parse(git.stream(args, git_dir=git_dir, stdin=stdin))


def parse(chunks: Iterable[bytes]) -> Iterator[CommitRecord]:
    """Records from git's output as it streams in; a message that happens to hold the marker stays whole."""
    pending = b""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        pieces = buffer.split(RECORD)
        buffer = pieces.pop()
        for piece in pieces:
            if _starts_record(piece):
                if pending:
                    yield _record(pending)
                pending = piece
            elif pending:
                pending += RECORD + piece
    if buffer:
        if _starts_record(buffer):
            if pending:
                yield _record(pending)
            pending = buffer
        elif pending:
            pending += RECORD + buffer
    if pending:
        yield _record(pending)


def _starts_record(piece: bytes) -> bool:
    return _SHA.match(piece.split(b"\x1f", 1)[0]) is not None and piece.count(b"\x1f") >= 7


def _record(piece: bytes) -> CommitRecord:
    sha, parents, an, ae, cn, at, ct, rest = piece.split(b"\x1f", 7)
    end = rest.rfind(b"\x1f\x00")
    message, numstat = (rest[:end], rest[end + 2 :]) if end >= 0 else (rest.rstrip(b"\x1f\x00"), b"")
    files = []
    for entry in numstat.lstrip(b"\n").split(b"\x00"):
        entry = entry.lstrip(b"\n")
        if not entry:
            continue
        added, removed, path = (entry.split(b"\t", 2) + [b"", b""])[:3]
        if not path:
            continue
        files.append((path.decode("utf-8", "replace"), _count(added), _count(removed)))
    return CommitRecord(
        sha=sha.decode("ascii"),
        parents=tuple(parents.decode("ascii").split()),
        author_name=_text(an),
        author_email=_text(ae),
        committer_name=_text(cn),
        author_ts_ms=int(at or 0) * 1000,
        committer_ts_ms=int(ct or 0) * 1000,
        message=_text(message).rstrip(),
        files=files,
    )


def _count(value: bytes) -> int | None:
    return int(value) if value.isdigit() else None  # '-' for a binary file


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _lines(items: Iterable[str]) -> bytes:
    return "".join(f"{item}\n" for item in items).encode("ascii")
