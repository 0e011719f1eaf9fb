"""Windsurf (Codeium Cascade): found, never readable (LOG-FORMATS §3.18).

Cascade keeps each conversation as protobuf in `~/.codeium/windsurf/cascade/<uuid>.pb` (Windsurf Next:
`~/.codeium/windsurf-next/cascade`), described as AES-GCM encrypted and readable only through the
running language server's localhost API [unverified]; billing is in credits, kept on Codeium's
servers (tokentopapp/agent-windsurf README.md is a detection-only scaffold for the same reason).

So `discover` lists those files, which makes `sources` show Windsurf as found, and the reader gives
no rows without opening them. `unreadable_reason` says why. Cline, Roo and Kilo tasks run inside
Windsurf are readable and are read by desktop.sources.cline_family (host `Windsurf`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch
from desktop.sources.base import Environment, ParseContext, Stateless

SOURCE = "windsurf"
CODEIUM_APPS = ("windsurf", "windsurf-next")


class Windsurf:
    id = SOURCE
    name = "Windsurf"
    measured = False  # no numbers at all: see unreadable_reason
    records_project = False
    mode = "document"
    conflict = "first"
    unreadable_reason = (
        "usage not available locally: Cascade conversations are encrypted protobuf "
        "(~/.codeium/windsurf/cascade/*.pb) and credits are kept on Codeium's servers"
    )

    def cascade_dirs(self, env: Environment) -> list[Path]:
        # ~/.codeium on every OS (%USERPROFILE%\.codeium on Windows)
        return [env.home / ".codeium" / app / "cascade" for app in CODEIUM_APPS]

    def roots(self, env: Environment) -> list[Path]:
        """The Cascade stores, and the editor's own data dir (an install with no conversation yet)."""
        return [*self.cascade_dirs(env), env.app_support() / "Windsurf"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for folder in [*self.cascade_dirs(env), *extra]:
            try:
                with os.scandir(folder) as listing:
                    names = sorted(e.name for e in listing if e.name.endswith(".pb") and e.is_file())
            except OSError:
                continue
            for name in names:
                yield os.path.join(folder, name)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> NothingReadable:
        return NothingReadable(context)


class NothingReadable(Stateless):
    """Never opens the file: there is nothing in it that can be read offline."""

    def parse_whole(self, path: Path) -> Batch:
        return Batch()
