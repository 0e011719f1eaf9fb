"""What every source shares: where it looks (Environment), the Source protocol, and the tolerant reader."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from desktop.model import Batch

# one transaction per chunk: bounded memory, few commits (the crash tests shrink it to get many commits)
CHUNK_BYTES = int(os.environ.get("TOKENMIRROR_CHUNK_BYTES") or 8 << 20)
MAX_LINE_BYTES = 64 << 20  # a single line longer than this is skipped (counted), not held in memory
HEAD_BYTES = 4096


@dataclass(frozen=True)
class Environment:
    """The user's machine as sources see it; tests build one around a temporary HOME."""

    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    platform: str = sys.platform  # linux | darwin | win32

    @classmethod
    def current(cls) -> Environment:
        return cls(home=Path(os.path.expanduser("~")), env=dict(os.environ), platform=sys.platform)

    def var(self, name: str) -> str | None:
        value = self.env.get(name)
        return value if value else None

    def xdg_config_home(self) -> Path:
        return Path(self.var("XDG_CONFIG_HOME") or self.home / ".config")

    def xdg_data_home(self) -> Path:
        return Path(self.var("XDG_DATA_HOME") or self.home / ".local" / "share")

    def app_support(self) -> Path:
        """Per-user application data: %APPDATA%, ~/Library/Application Support, or XDG config."""
        if self.platform == "win32":
            return Path(self.var("APPDATA") or self.home / "AppData" / "Roaming")
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support"
        return self.xdg_config_home()


class Chunk:
    """Complete lines only; the cursor may move to `end` once they are stored.

    Read as one block: `data[:size]` holds the complete lines without the last newline. Readers that
    want a list of lines get `lines` (split on first use); Claude Code's reader walks `spans()` instead
    and never copies the lines it skips (most of a transcript)."""

    __slots__ = ("_lines", "data", "size", "offset", "end", "first_line", "oversized_lines", "_count")

    def __init__(self, lines: list[bytes] | None, offset: int, end: int, first_line: int, oversized_lines: int = 0,
                 *, data: bytes = b"", size: int = -1) -> None:  # fmt: skip
        self._lines = lines
        if lines is not None:
            data, size = b"\n".join(lines), (-1 if not lines else -2)
        self.data = data
        self.size = len(data) if size == -2 else size  # -1: no lines at all (an oversized line was skipped)
        self.offset = offset  # file offset of the first line
        self.end = end  # file offset just after the last newline: the new cursor
        self.first_line = first_line  # 1-based number of the first line
        self.oversized_lines = oversized_lines  # a line longer than MAX_LINE_BYTES, skipped unread
        self._count = 0 if self.size < 0 else (len(lines) if lines is not None else None)

    @property
    def line_count(self) -> int:
        if self._count is None:  # spans() counts as it goes; a full count is a second pass over the bytes
            self._count = self.data.count(b"\n", 0, self.size) + 1
        return self._count + self.oversized_lines

    @property
    def lines(self) -> list[bytes]:
        """The lines without their newlines."""
        if self._lines is None:
            self._lines = [] if self.size < 0 else self.data[: self.size].split(b"\n")
        return self._lines

    def spans(self) -> Iterator[tuple[int, int, int, int]]:
        """(file offset, line number, start, stop) of each non-empty line: the line is data[start:stop]."""
        data, size, base = self.data, self.size, self.offset
        find = data.find
        pos, number = 0, self.first_line
        while pos <= size:
            stop = find(b"\n", pos, size)
            if stop < 0:
                stop = size
            if stop > pos:
                yield base + pos, number, pos, stop
            number += 1
            pos = stop + 1
        self._count = number - self.first_line


class FileParser(Protocol):
    """Append-mode parsers implement parse(chunk); document and database parsers parse_whole(path)."""

    def parse(self, chunk: Chunk) -> Batch: ...

    def parse_whole(self, path: Path) -> Batch: ...

    def state(self) -> dict[str, Any]:
        """What a later scan needs to resume after `chunk.end` (JSON-serializable)."""
        ...


class Stateless:
    """A parser that keeps nothing between reads: every line, record or document stands on its own."""

    def __init__(self, context: ParseContext) -> None:
        self.context = context

    def state(self) -> dict[str, Any]:
        return {}


class Source(Protocol):
    """An assistant's logs. How they change on disk decides how they are read (`mode`):

    - "append": JSONL only ever appended; read by byte cursor, complete lines only (the default).
    - "document": a whole JSON file rewritten in place; parsed whole when its size or mtime
      changes, and its rows replace the rows this file gave before (never added twice).
    - "database": a live SQLite file; opened read-only, read past a watermark kept in the
      parser state; its -wal file counts as part of it when deciding whether it changed.
    """

    id: str
    name: str
    measured: bool  # False for estimate-only sources
    mode: str  # append | document | database (absent means append)
    conflict: str  # first | best | replace: what a second copy of a dedup key does

    def roots(self, env: Environment) -> list[Path]:
        """The folders this assistant writes to on this machine, existing or not."""
        ...

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        """The log files to read, under the roots and the user's extra folders (plain strings: fast)."""
        ...

    def parser(self, path: Path, state: dict[str, Any], context: Any) -> FileParser: ...


def walk_files(root: Path, suffix: str) -> Iterator[Path]:
    """Recursive listing that survives unreadable folders and symlink loops."""
    for path in walk_file_names(str(root), suffix):
        yield Path(path)


def walk_file_names(root: str, suffix: str) -> Iterator[str]:
    """Like walk_files, as plain strings: 10,000-file histories are listed on every scan."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, int | None]] = [(root, None)]  # (folder, its device when it is a plain subfolder)
    while stack:
        folder, dev = stack.pop()
        if dev is None:  # the root or a symlink: stat it; plain subfolders were marked from their listing
            try:
                st = os.stat(folder)
            except OSError:
                continue
            dev = st.st_dev
            if (dev, st.st_ino) in seen:
                continue
            seen.add((dev, st.st_ino))
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.is_symlink():
                        stack.append((entry.path, None))
                    elif (dev, entry.inode()) not in seen:  # the inode comes with the listing: no stat
                        seen.add((dev, entry.inode()))
                        stack.append((entry.path, dev))
                elif entry.name.endswith(suffix) and entry.is_file():
                    yield entry.path
            except OSError:
                continue


def named_files(roots: Iterable[Path], extra: Iterable[Path], name: str) -> Iterator[str]:
    """A database with a fixed file name: directly in each of the assistant's own folders, and
    anywhere below the folders the user added."""
    for folder in roots:
        if (folder / name).is_file():
            yield str(folder / name)
    for folder in extra:
        for path in walk_file_names(str(folder), name):
            if os.path.basename(path) == name:
                yield path


@dataclass(frozen=True, slots=True)
class Signature:
    """What says whether a log file changed since the last scan."""

    st_dev: int
    st_ino: int
    st_size: int
    st_mtime_ns: int
    mode: str = "append"


def signature(source: Source, path: str) -> Signature:
    st = os.stat(path)
    mode = getattr(source, "mode", "append")
    size, mtime = st.st_size, st.st_mtime_ns
    if mode == "database":
        try:  # new rows may sit in the write-ahead log while the main file is untouched
            wal = os.stat(path + "-wal")
            size, mtime = size + wal.st_size, max(mtime, wal.st_mtime_ns)
        except OSError:
            pass
    return Signature(st.st_dev, st.st_ino, size, mtime, mode)


def head_hash(path: Path, length: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.blake2b(fh.read(length), digest_size=16).hexdigest()


def read_chunks(path: Path, start: int, first_line: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[Chunk]:
    """Yield complete lines past `start`; a trailing fragment without a newline is never consumed."""
    with open(path, "rb") as fh:
        fh.seek(start)
        offset = start
        line_no = first_line
        carry = b""
        while True:
            block = fh.read(chunk_bytes)
            if not block:
                return
            data = carry + block if carry else block
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE_BYTES:
                    end = _skip_to_newline(fh, offset + len(data))
                    if end is None:
                        return  # an over-long line still being written: leave it for later
                    yield Chunk(None, offset, end, line_no, oversized_lines=1)
                    line_no += 1
                    offset = end
                    fh.seek(end)
                    carry = b""
                    continue
                carry = data
                continue
            chunk = Chunk(None, offset, offset + cut + 1, line_no, data=data, size=cut)
            carry = data[cut + 1 :]
            yield chunk
            line_no += chunk.line_count
            offset += cut + 1


def _skip_to_newline(fh: Any, position: int) -> int | None:
    fh.seek(position)
    while True:
        block = fh.read(1 << 20)
        if not block:
            return None
        nl = block.find(b"\n")
        if nl >= 0:
            return position + nl + 1
        position += len(block)


def split_lines(chunk: Chunk) -> Iterator[tuple[int, int, bytes]]:
    """(file offset, line number, bytes) for each non-empty line of a chunk."""
    offset = chunk.offset
    number = chunk.first_line
    for line in chunk.lines:
        if line:
            yield offset, number, line
        offset += len(line) + 1
        number += 1


def lossy(line: bytes) -> bytes:
    """Bad UTF-8 bytes become U+FFFD so one broken byte cannot cost the whole line (LOG-FORMATS §2.4)."""
    return line.decode("utf-8", errors="replace").encode("utf-8")


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=16).hexdigest()


def bytes_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class ParseContext:
    """What parsers need from the archive and the settings, handed in by ingest."""

    excerpt_chars: int = 120  # 0: keep no excerpt, only hash and length
    thread_parents: dict[str, str] = field(default_factory=dict)  # fork/subagent thread -> parent

    def root_of(self, thread_id: str) -> str:
        seen = {thread_id}
        while thread_id in self.thread_parents:
            thread_id = self.thread_parents[thread_id]
            if thread_id in seen:
                break  # a cycle in corrupt metadata: stop where we are
            seen.add(thread_id)
        return thread_id

    def excerpt(self, text: str) -> str | None:
        if self.excerpt_chars <= 0:
            return None
        flat = " ".join(text.split())
        return flat if len(flat) <= self.excerpt_chars else flat[: self.excerpt_chars - 1] + "…"
