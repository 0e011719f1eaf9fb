"""Linux desktop integration: the entry and AppStream metainfo validate, icons come at the standard
sizes, and install_linux.py puts them in the XDG folders (temporary ones here) and takes them out again."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop import __version__
from desktop.autostart.linux import XdgAutostart, exec_line

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
APP_ID = "io.github.tokenmirror.Tokenmirror"
DESKTOP = RESOURCES / "linux" / f"{APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{APP_ID}.metainfo.xml"
HICOLOR = RESOURCES / "icons" / "hicolor"
FIXED_SIZES = (16, 22, 24, 32)


def _load_installer():
    spec = importlib.util.spec_from_file_location("install_linux", ROOT / "packaging" / "install_linux.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


installer = _load_installer()


def _entry_keys(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


# --- the files as shipped ---------------------------------------------------------------------------
@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-validate not installed"
)
def test_desktop_entry_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_metainfo_validates() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", "--explain", str(METAINFO)],
                            check=False, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_this_app_and_this_version() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("provides/binary") == "tokenmirror"
    releases = [r.get("version") for r in component.iter("release")]
    assert __version__ in releases, f'add a <release version="{__version__}"> to {METAINFO.name}'


def test_desktop_entry_names_an_icon_that_ships() -> None:
    keys = _entry_keys(DESKTOP.read_text(encoding="utf-8"))
    assert keys["Icon"] == APP_ID and keys["Type"] == "Application"
    assert (HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (HICOLOR / "symbolic" / "apps" / f"{APP_ID}-symbolic.svg").is_file()


@pytest.mark.parametrize("size", FIXED_SIZES)
def test_fixed_size_icons_are_drawn_for_their_size(size: int) -> None:
    svg = ET.parse(HICOLOR / f"{size}x{size}" / "apps" / f"{APP_ID}.svg").getroot()
    assert (svg.get("width"), svg.get("height")) == (str(size), str(size))


def test_scalable_icon_is_the_app_icon() -> None:
    """The hicolor copy follows resources/icons/tokenmirror.svg: change both together."""
    scalable = HICOLOR / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons" / "tokenmirror.svg").read_bytes()


# --- installing into XDG folders --------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["/opt/tokenmirror/tokenmirror", "app"], ["/home/me/Token Mirror/tokenmirror", "app"], ["/x/100%/$a\\b\"c"],
])  # fmt: skip
def test_installer_quotes_exec_like_the_autostart_entry(command: list[str]) -> None:
    assert installer.exec_value(command) == exec_line(command)


def test_install_puts_everything_in_xdg_locations(tmp_path: Path) -> None:
    data_home = tmp_path / "data"
    executable = "/opt/Token Mirror/tokenmirror"
    written = installer.install(RESOURCES, data_home, executable)
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    assert entry in written and (data_home / "metainfo" / f"{APP_ID}.metainfo.xml") in written
    keys = _entry_keys(entry.read_text(encoding="utf-8"))
    assert keys["Exec"] == '"/opt/Token Mirror/tokenmirror" app'
    assert keys["TryExec"] == '"/opt/Token Mirror/tokenmirror"'
    icons = sorted(str(p.relative_to(data_home)) for p in (data_home / "icons").rglob("*.svg"))
    assert icons == sorted(
        [f"icons/hicolor/{s}x{s}/apps/{APP_ID}.svg" for s in FIXED_SIZES]
        + [f"icons/hicolor/scalable/apps/{APP_ID}.svg", f"icons/hicolor/symbolic/apps/{APP_ID}-symbolic.svg"]
    )
    assert not list(data_home.rglob(".*.partial"))
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(
            ["desktop-file-validate", str(entry)], check=False, capture_output=True, text=True
        )
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_uninstall_removes_what_install_and_autostart_wrote(tmp_path: Path) -> None:
    data_home, config_home = tmp_path / "data", tmp_path / "config"
    installer.install(RESOURCES, data_home, "/opt/tokenmirror/tokenmirror")
    XdgAutostart(config_home / "autostart").enable(["/opt/tokenmirror/tokenmirror", "app"])
    neighbour = data_home / "icons" / "hicolor" / "scalable" / "apps" / "org.example.Other.svg"
    neighbour.write_text("<svg/>")
    removed = installer.uninstall(data_home, config_home)
    assert config_home / "autostart" / f"{APP_ID}.desktop" in removed
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["data/icons/hicolor/scalable/apps/org.example.Other.svg"]
    assert installer.uninstall(data_home, config_home) == []  # twice is fine


def test_main_uses_xdg_data_home_and_the_given_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    tool = tmp_path / "bundle" / "tokenmirror"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert installer.main(["--exec", str(tool)]) == 0
    entry = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert _entry_keys(entry.read_text())["Exec"] == f"{tool} app"
    assert "applications menu" in capsys.readouterr().out
    assert installer.main(["--uninstall"]) == 0
    assert not entry.exists()


def test_installer_finds_resources_in_a_bundle_layout(tmp_path: Path) -> None:
    bundle = tmp_path / "tokenmirror"
    shutil.copytree(RESOURCES / "linux", bundle / "_internal" / "resources" / "linux")
    (bundle / "tokenmirror").write_text("#!/bin/sh\n")
    (bundle / "tokenmirror").chmod(0o755)
    assert installer.find_resources(bundle) == bundle / "_internal" / "resources"
    assert installer.default_executable(bundle) == str((bundle / "tokenmirror").resolve())
