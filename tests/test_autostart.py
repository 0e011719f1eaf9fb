"""Autostart on login, one backend per OS, each in temporary places (the Windows registry is a fake)."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from desktop.autostart import APP_ID, for_environment, launch_command
from desktop.autostart.linux import XdgAutostart, exec_line
from desktop.autostart.macos import LaunchAgent
from desktop.autostart.windows import RUN_KEY, RunKey
from desktop.sources import Environment

COMMAND = ["/opt/Token Mirror/tokenmirror", "app"]


class FakeRegistry:
    """The few winreg functions RunKey uses, over a dict of {key path: {value name: (data, type)}}."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_READ, KEY_SET_VALUE = 1, 2
    REG_SZ, REG_EXPAND_SZ, REG_DWORD = 1, 2, 4

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, tuple[Any, int]]] = {}
        self.open_handles = 0

    class _Handle:
        def __init__(self, registry: FakeRegistry, path: str, access: int) -> None:
            self.registry, self.path, self.access = registry, path, access

        def __enter__(self) -> FakeRegistry._Handle:
            self.registry.open_handles += 1
            return self

        def __exit__(self, *exc: object) -> None:
            self.registry.open_handles -= 1

    def CreateKeyEx(self, root: str, sub_key: str, reserved: int, access: int) -> _Handle:
        self.keys.setdefault(f"{root}\\{sub_key}", {})
        return self._Handle(self, f"{root}\\{sub_key}", access)

    def OpenKey(self, root: str, sub_key: str, reserved: int, access: int) -> _Handle:
        if f"{root}\\{sub_key}" not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self._Handle(self, f"{root}\\{sub_key}", access)

    def SetValueEx(self, handle: _Handle, name: str, reserved: int, kind: int, value: Any) -> None:
        assert handle.access & self.KEY_SET_VALUE
        self.keys[handle.path][name] = (value, kind)

    def DeleteValue(self, handle: _Handle, name: str) -> None:
        assert handle.access & self.KEY_SET_VALUE
        if name not in self.keys[handle.path]:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del self.keys[handle.path][name]

    def QueryValueEx(self, handle: _Handle, name: str) -> tuple[Any, int]:
        if name not in self.keys[handle.path]:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self.keys[handle.path][name]


# --- the interface, the same for every backend --------------------------------------------------
@pytest.fixture(params=["linux", "macos", "windows"])
def login_item(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "linux":
        return XdgAutostart(tmp_path / "config" / "autostart")
    if request.param == "macos":
        return LaunchAgent(tmp_path / "Library" / "LaunchAgents")
    return RunKey(FakeRegistry())


def test_enable_disable_round_trip(login_item: Any) -> None:
    assert login_item.is_enabled() is False
    login_item.disable()  # off already: nothing to do, no error
    login_item.enable(COMMAND)
    assert login_item.is_enabled() is True
    login_item.enable(COMMAND + ["--data-dir", "/tmp/x"])  # again: replaced, not duplicated
    assert login_item.is_enabled() is True
    login_item.disable()
    assert login_item.is_enabled() is False
    login_item.disable()


def test_an_empty_command_is_refused(login_item: Any) -> None:
    with pytest.raises(ValueError):
        login_item.enable([])
    assert login_item.is_enabled() is False


# --- Linux ----------------------------------------------------------------------------------------
def test_linux_entry_starts_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "autostart"
    item = XdgAutostart(folder)
    item.enable(COMMAND)
    assert [p.name for p in folder.iterdir()] == [f"{APP_ID}.desktop"]  # no temporary file left behind
    text = item.path.read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n")
    assert 'Exec="/opt/Token Mirror/tokenmirror" app\n' in text
    assert "Type=Application\n" in text and "Terminal=false\n" in text


@pytest.mark.parametrize("command,line", [
    (["/usr/bin/tokenmirror", "app"], "/usr/bin/tokenmirror app"),
    (["/home/me/tm venv/bin/python", "-m", "desktop"], '"/home/me/tm venv/bin/python" -m desktop'),
    (["/x/100%/tm"], "/x/100%%/tm"),
    (["/opt/a$b/tm"], '"/opt/a\\\\$b/tm"'),  # the spec's own example: a literal $ is written \\$
    (["/opt/back\\slash/tm"], '"/opt/back\\\\\\\\slash/tm"'),  # and a literal backslash \\\\
    (["/opt/q\"uote/tm", ""], '"/opt/q\\\\"uote/tm" ""'),
])  # fmt: skip
def test_exec_line_quotes_as_the_desktop_entry_spec_says(command: list[str], line: str) -> None:
    assert exec_line(command) == line


def test_exec_line_refuses_a_line_break() -> None:
    with pytest.raises(ValueError):
        exec_line(["/opt/two\nlines"])


@pytest.mark.parametrize("mark", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_linux_entry_turned_off_by_the_desktop_is_off(tmp_path: Path, mark: str) -> None:
    item = XdgAutostart(tmp_path)
    item.enable(COMMAND)
    item.path.write_text(item.path.read_text().replace("X-GNOME-Autostart-enabled=true\n", "") + mark + "\n")
    assert item.is_enabled() is False


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed"
)
def test_linux_entry_is_valid(tmp_path: Path) -> None:
    item = XdgAutostart(tmp_path)
    item.enable(["/opt/Token Mirror/tokenmirror", "app", "--data-dir", "/home/me/100% $HOME"])
    result = subprocess.run(
        ["desktop-file-validate", str(item.path)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_linux_unwritable_folder_is_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "autostart"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OSError):
        XdgAutostart(blocker).enable(COMMAND)


# --- macOS ----------------------------------------------------------------------------------------
def test_macos_agent_runs_the_command_at_login(tmp_path: Path) -> None:
    agents = tmp_path / "Library" / "LaunchAgents"
    LaunchAgent(agents).enable(COMMAND)
    path = agents / f"{APP_ID}.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == APP_ID
    assert agent["ProgramArguments"] == COMMAND
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] is False
    assert path.stat().st_mode & 0o022 == 0  # launchd refuses agents others can write


def test_macos_disabled_or_foreign_agent_is_off(tmp_path: Path) -> None:
    item = LaunchAgent(tmp_path)
    item.enable(COMMAND)
    agent = plistlib.loads(item.path.read_bytes())
    item.path.write_bytes(plistlib.dumps({**agent, "Disabled": True}))
    assert item.is_enabled() is False
    item.path.write_bytes(b"not a property list")
    assert item.is_enabled() is False


# --- Windows --------------------------------------------------------------------------------------
def test_windows_run_value_holds_one_quoted_command_line() -> None:
    registry = FakeRegistry()
    item = RunKey(registry)
    item.enable([r"C:\Program Files\Tokenmirror\tokenmirror.exe", "app"])
    assert registry.keys[f"HKCU\\{RUN_KEY}"] == {
        "Tokenmirror": ('"C:\\Program Files\\Tokenmirror\\tokenmirror.exe" app', FakeRegistry.REG_SZ)
    }
    item.disable()
    assert registry.keys[f"HKCU\\{RUN_KEY}"] == {}
    assert registry.open_handles == 0  # every key handle closed


def test_windows_other_values_are_left_alone() -> None:
    registry = FakeRegistry()
    registry.keys[f"HKCU\\{RUN_KEY}"] = {"OneDrive": ("onedrive.exe /background", FakeRegistry.REG_SZ)}
    item = RunKey(registry)
    item.enable(COMMAND)
    item.disable()
    assert registry.keys[f"HKCU\\{RUN_KEY}"] == {
        "OneDrive": ("onedrive.exe /background", FakeRegistry.REG_SZ)
    }


def test_windows_value_of_another_type_is_not_ours() -> None:
    registry = FakeRegistry()
    registry.keys[f"HKCU\\{RUN_KEY}"] = {"Tokenmirror": (1, FakeRegistry.REG_DWORD)}
    assert RunKey(registry).is_enabled() is False


# --- choosing a backend and a command -------------------------------------------------------------
def test_backend_follows_the_platform_and_its_folders(tmp_path: Path) -> None:
    linux = for_environment(
        Environment(home=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")}, platform="linux")
    )
    assert isinstance(linux, XdgAutostart) and linux.folder == tmp_path / "cfg" / "autostart"
    default = for_environment(Environment(home=tmp_path, env={}, platform="freebsd14"))
    assert isinstance(default, XdgAutostart) and default.folder == tmp_path / ".config" / "autostart"
    mac = for_environment(Environment(home=tmp_path, env={}, platform="darwin"))
    assert isinstance(mac, LaunchAgent) and mac.folder == tmp_path / "Library" / "LaunchAgents"


def test_windows_backend_imports_winreg_only_when_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    fake = FakeRegistry()
    monkeypatch.setitem(sys.modules, "winreg", fake)
    item = for_environment(Environment(home=tmp_path, env={}, platform="win32"))
    assert isinstance(item, RunKey) and item.registry is fake


def test_launch_command(tmp_path: Path) -> None:
    assert launch_command("/opt/tokenmirror/tokenmirror", frozen=True) == [
        "/opt/tokenmirror/tokenmirror",
        "app",
    ]
    assert launch_command("/v/bin/python", frozen=False) == ["/v/bin/python", "-m", "desktop", "app"]
    (tmp_path / "python.exe").touch()
    (tmp_path / "pythonw.exe").touch()
    assert launch_command(str(tmp_path / "python.exe"), frozen=False)[0] == str(tmp_path / "pythonw.exe")
