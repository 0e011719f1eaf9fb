"""macOS: a LaunchAgent property list in ~/Library/LaunchAgents, loaded by launchd at the next login."""

from __future__ import annotations

import plistlib
from pathlib import Path

from desktop.autostart import APP_ID, write_atomically


class LaunchAgent:
    def __init__(self, folder: Path, label: str = APP_ID) -> None:
        self.folder = Path(folder)
        self.label = label
        self.path = self.folder / f"{label}.plist"

    def enable(self, command: list[str]) -> None:
        if not command:
            raise ValueError("autostart needs a command")
        agent = {
            "Label": self.label,
            "ProgramArguments": list(command),
            "RunAtLoad": True,  # start at login, once; quitting from the tray must not restart it
            "KeepAlive": False,
            "ProcessType": "Interactive",  # a tray app the user sees: not throttled like a daemon
            "LimitLoadToSessionType": "Aqua",  # a graphical login only, not ssh sessions
        }
        # 0644: launchd ignores an agent that others may write to
        write_atomically(self.path, plistlib.dumps(agent, fmt=plistlib.FMT_XML))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def is_enabled(self) -> bool:
        try:
            with open(self.path, "rb") as fh:
                agent = plistlib.load(fh)
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        if not isinstance(agent, dict):
            return False
        return (
            agent.get("Label") == self.label
            and bool(agent.get("RunAtLoad"))
            and not agent.get("Disabled", False)
        )
