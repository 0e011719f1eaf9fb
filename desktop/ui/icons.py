"""Icons from resources/icons (SVG), found next to the source tree or inside a bundle."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

ICONS_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "icons"
APP = "tokenmirror"
TRAY = {"idle": "tray-idle", "importing": "tray-importing", "finding": "tray-finding"}


def icon_path(name: str) -> Path:
    places = [ICONS_DIR / f"{name}.svg"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        places.append(Path(bundle) / "resources" / "icons" / f"{name}.svg")
    for place in places:
        if place.is_file():
            return place
    raise FileNotFoundError(f"icon {name}.svg not found (looked in {ICONS_DIR})")


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """Rendered at the usual sizes up front, so a tray that asks for a pixmap gets a crisp one."""
    path = str(icon_path(name))
    result = QIcon()
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        pixmap = QIcon(path).pixmap(QSize(size, size))
        if not pixmap.isNull():
            result.addPixmap(pixmap)
    return result if not result.isNull() else QIcon(path)


def app_icon() -> QIcon:
    return icon(APP)


def tray_icon(state: str, platform: str = sys.platform) -> QIcon:
    """Coloured icons carry their own dark tile, readable on light and dark panels; the macOS menu
    bar gets black-and-alpha templates it tints itself (light, dark, highlighted)."""
    name = TRAY.get(state, TRAY["idle"])
    return template_icon(name) if platform == "darwin" else icon(name)


@lru_cache(maxsize=None)
def template_icon(name: str) -> QIcon:
    result = QIcon(icon(f"{name}-template"))  # a copy: setIsMask detaches it from the cached icon
    result.setIsMask(True)
    return result


def pixmap(name: str, size: int) -> QPixmap:
    return icon(name).pixmap(QSize(size, size))
