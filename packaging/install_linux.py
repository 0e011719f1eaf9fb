#!/usr/bin/env python3
"""Put Tokenmirror in the desktop's menus: desktop entry, AppStream metainfo and icons in the
user's XDG folders (nothing system-wide, no root).

Standard library only, so the system's python3 runs it from an unpacked bundle as well as from
the source tree:

    python3 install_linux.py                      # the bundle's own executable (or `tokenmirror` on PATH)
    python3 install_linux.py --exec /path/to/tokenmirror
    python3 install_linux.py --uninstall          # removes the entries, icons and the autostart entry

Writes $XDG_DATA_HOME/applications/, $XDG_DATA_HOME/metainfo/ and $XDG_DATA_HOME/icons/hicolor/
(XDG_DATA_HOME defaults to ~/.local/share). Your archive and settings are not touched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.tokenmirror.Tokenmirror"
EXECUTABLE = "tokenmirror"
_NEEDS_QUOTES = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


def find_resources(here: Path) -> Path:
    """resources/ next to packaging/ (source tree) or inside the bundle (PyInstaller's _internal/)."""
    for place in (here.parent / "resources", here / "_internal" / "resources", here / "resources"):
        if (place / "linux" / f"{APP_ID}.desktop").is_file():
            return place
    raise SystemExit(f"install_linux: no resources/linux/{APP_ID}.desktop near {here}")


def default_executable(here: Path) -> str:
    bundled = here / EXECUTABLE
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled.resolve())
    on_path = shutil.which(EXECUTABLE)
    if on_path:
        return str(Path(on_path).resolve())
    raise SystemExit(f"install_linux: no {EXECUTABLE} here or on PATH; say where it is with --exec")


def exec_value(command: list[str]) -> str:
    """Exec= as the Desktop Entry spec quotes it (the same rule as desktop/autostart/linux.py)."""
    parts = []
    for arg in command:
        if "\n" in arg or "\r" in arg:
            raise SystemExit(f"install_linux: {arg!r} contains a line break")
        arg = arg.replace("%", "%%")
        if arg == "" or _NEEDS_QUOTES.search(arg):
            arg = '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
        parts.append(arg)
    return " ".join(parts).replace("\\", "\\\\")


def desktop_entry(template: str, executable: str) -> str:
    """The packaged entry with Exec and TryExec pointing at this installation's executable."""
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + exec_value([executable, "app"])
        elif line.startswith("TryExec="):
            line = "TryExec=" + exec_value([executable])
        lines.append(line)
    return "\n".join(lines) + "\n"


def icon_files(resources: Path) -> list[Path]:
    """Relative paths under hicolor/: <size>/apps/<id>.svg, scalable and symbolic."""
    hicolor = resources / "icons" / "hicolor"
    return sorted(p.relative_to(hicolor) for p in hicolor.glob("*/apps/*.svg"))


def install(resources: Path, data_home: Path, executable: str) -> list[Path]:
    written = []
    template = (resources / "linux" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    _write(entry, desktop_entry(template, executable).encode("utf-8"))
    written.append(entry)
    metainfo = data_home / "metainfo" / f"{APP_ID}.metainfo.xml"
    _write(metainfo, (resources / "linux" / f"{APP_ID}.metainfo.xml").read_bytes())
    written.append(metainfo)
    hicolor = data_home / "icons" / "hicolor"
    for relative in icon_files(resources):
        target = hicolor / relative
        _write(target, (resources / "icons" / "hicolor" / relative).read_bytes())
        written.append(target)
    _touch(hicolor)  # an icon-theme.cache older than its folder is ignored, so a stale one cannot hide us
    _touch(data_home / "applications")
    return written


def uninstall(data_home: Path, config_home: Path) -> list[Path]:
    """Everything install() and the autostart setting wrote; works after the bundle is gone."""
    candidates = [
        data_home / "applications" / f"{APP_ID}.desktop",
        data_home / "metainfo" / f"{APP_ID}.metainfo.xml",
        config_home / "autostart" / f"{APP_ID}.desktop",
        *(data_home / "icons" / "hicolor").glob(f"*/apps/{APP_ID}.svg"),
        *(data_home / "icons" / "hicolor").glob(f"*/apps/{APP_ID}-symbolic.svg"),
    ]
    removed = []
    for path in candidates:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    _touch(data_home / "icons" / "hicolor")
    return removed


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def _touch(folder: Path) -> None:
    if folder.is_dir():
        os.utime(folder)


def _xdg(name: str, fallback: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value and os.path.isabs(value) else fallback  # the spec ignores relative paths


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(prog="install_linux.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--exec", dest="executable", help="the tokenmirror executable the menu entry starts")
    parser.add_argument("--data-home", type=Path, help="instead of $XDG_DATA_HOME (default ~/.local/share)")
    parser.add_argument("--config-home", type=Path, help="instead of $XDG_CONFIG_HOME (default ~/.config)")
    parser.add_argument("--uninstall", action="store_true", help="remove what an install wrote")
    args = parser.parse_args(argv)
    home = Path.home()
    data_home = args.data_home or _xdg("XDG_DATA_HOME", home / ".local" / "share")
    config_home = args.config_home or _xdg("XDG_CONFIG_HOME", home / ".config")
    if args.uninstall:
        for path in uninstall(data_home, config_home):
            print(f"removed {path}")
        return 0
    executable = (
        str(Path(args.executable).expanduser().resolve()) if args.executable else default_executable(here)
    )
    for path in install(find_resources(here), data_home, executable):
        print(f"wrote {path}")
    print(f"Tokenmirror is in your applications menu; it starts {executable}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
