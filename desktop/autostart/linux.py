"""Linux and other XDG desktops: a .desktop entry in $XDG_CONFIG_HOME/autostart (XDG Autostart spec)."""

from __future__ import annotations

import re
from pathlib import Path

from desktop.autostart import APP_ID, APP_NAME, write_atomically

_NEEDS_QUOTES = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def exec_line(command: list[str]) -> str:
    """The Exec= value (Desktop Entry spec, "The Exec key"): quoted arguments, `%` doubled."""
    parts = []
    for arg in command:
        if "\n" in arg or "\r" in arg:
            raise ValueError(f"cannot start {arg!r} from a desktop entry: it contains a line break")
        arg = arg.replace("%", "%%")
        if arg == "" or _NEEDS_QUOTES.search(arg):
            arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
        parts.append(arg)
    # the file format escapes backslashes once more: a quoted `\"` is written `\\"`
    return " ".join(parts).replace("\\", "\\\\")


class XdgAutostart:
    def __init__(self, folder: Path, name: str = APP_ID) -> None:
        self.folder = Path(folder)
        self.path = self.folder / f"{name}.desktop"

    def enable(self, command: list[str]) -> None:
        if not command:
            raise ValueError("autostart needs a command")
        entry = "\n".join([
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_NAME}",
            "Comment=Your AI-assistant usage, counted on your own machine",
            f"Exec={exec_line(command)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "NoDisplay=true",
            "X-GNOME-Autostart-enabled=true",
            "X-GNOME-Autostart-Delay=5",  # let the panel's tray come up first
            "",
        ])  # fmt: skip
        write_atomically(self.path, entry.encode("utf-8"))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def is_enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        # a desktop that turns an entry off keeps the file and marks it (Hidden, or GNOME's own key)
        keys = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
        )
        hidden = keys.get("Hidden", "false").strip() == "true"
        return not hidden and keys.get("X-GNOME-Autostart-enabled", "true").strip() != "false"
