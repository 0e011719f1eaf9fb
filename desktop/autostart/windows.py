"""Windows: a value under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run.

`winreg` exists only on Windows, so it is imported when a RunKey is made without a registry;
tests hand in an object with the same few functions.
"""

from __future__ import annotations

import subprocess
from typing import Any

from desktop.autostart import APP_NAME

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class RunKey:
    def __init__(self, registry: Any = None, value_name: str = APP_NAME, key: str = RUN_KEY) -> None:
        if registry is None:
            import winreg as registry  # Windows only: imported here, not at module import
        self.registry = registry
        self.value_name = value_name
        self.key = key

    def enable(self, command: list[str]) -> None:
        if not command:
            raise ValueError("autostart needs a command")
        reg = self.registry
        # CreateKey opens the key, or makes it on a profile that never had one
        with reg.CreateKeyEx(reg.HKEY_CURRENT_USER, self.key, 0, reg.KEY_SET_VALUE) as handle:
            reg.SetValueEx(handle, self.value_name, 0, reg.REG_SZ, subprocess.list2cmdline(command))

    def disable(self) -> None:
        reg = self.registry
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, self.key, 0, reg.KEY_SET_VALUE) as handle:
                reg.DeleteValue(handle, self.value_name)
        except FileNotFoundError:  # no key or no value: already off
            pass

    def is_enabled(self) -> bool:
        return self.command_line() is not None

    def command_line(self) -> str | None:
        reg = self.registry
        try:
            with reg.OpenKey(reg.HKEY_CURRENT_USER, self.key, 0, reg.KEY_READ) as handle:
                value, kind = reg.QueryValueEx(handle, self.value_name)
        except FileNotFoundError:
            return None
        return value if kind in (reg.REG_SZ, reg.REG_EXPAND_SZ) and value else None
