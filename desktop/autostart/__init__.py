"""Start Tokenmirror at login: one small interface, one module per OS.

Each backend gets the places it writes to through its constructor; `for_environment` picks the
backend for `env.platform` and derives those places from the Environment (the same object the
sources use), so a test that hands in a temporary home never touches the real one. No Qt here:
the Settings page calls these off the GUI thread.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from desktop.sources.base import Environment

APP_ID = "io.github.tokenmirror.Tokenmirror"  # the desktop entry's and LaunchAgent's name
APP_NAME = "Tokenmirror"


class LoginItem(Protocol):
    """What starts a program when the user logs in; failures are OSError (shown to the user)."""

    def enable(self, command: list[str]) -> None: ...

    def disable(self) -> None: ...

    def is_enabled(self) -> bool: ...


def for_environment(env: Environment) -> LoginItem:
    if env.platform == "darwin":
        from desktop.autostart.macos import LaunchAgent

        return LaunchAgent(env.home / "Library" / "LaunchAgents")
    if env.platform == "win32":
        from desktop.autostart.windows import RunKey

        return RunKey()
    from desktop.autostart.linux import XdgAutostart

    return XdgAutostart(env.xdg_config_home() / "autostart")


def launch_command(executable: str | None = None, frozen: bool | None = None) -> list[str]:
    """How this installation starts the tray app: the bundle's executable, or this Python with -m."""
    executable = executable or sys.executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if frozen:
        return [executable, "app"]
    windowless = Path(executable).with_name("pythonw.exe")  # Windows: no console window at login
    if Path(executable).name.lower() == "python.exe" and windowless.is_file():
        executable = str(windowless)
    return [executable, "-m", "desktop", "app"]


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """A crash or a full disk leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


__all__ = ["APP_ID", "APP_NAME", "LoginItem", "for_environment", "launch_command", "write_atomically"]
