"""Tray icons: readable on light and dark panels; macOS gets black-and-alpha template (mask) icons."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPainter

from desktop.ui.icons import TRAY, icon, icon_path, tray_icon

PANELS = {"light": "#F2F2F2", "white": "#FFFFFF", "dark": "#2B2B2B", "black": "#000000"}
PANEL_SIZE = 22  # the usual tray slot in pixels
BLACK = {"#000", "#000000", "black", "none", "currentcolor"}


def _colours(svg_text: str) -> set[str]:
    found = set()
    for element in ET.fromstring(svg_text).iter():
        for key in ("fill", "stroke", "stop-color", "flood-color", "color"):
            if key in element.attrib:
                found.add(element.attrib[key].strip().lower())
        for key, value in re.findall(
            r"(fill|stroke|stop-color|color)\s*:\s*([^;]+)", element.attrib.get("style", "")
        ):
            found.add(value.strip().lower())
    return found


@pytest.mark.parametrize("name", sorted(TRAY.values()))
def test_template_is_black_and_alpha_only(qapp, name: str) -> None:
    path = icon_path(f"{name}-template")
    text = path.read_text(encoding="utf-8")
    assert _colours(text) <= BLACK, f"{path.name} uses colour: {_colours(text) - BLACK}"
    assert not re.search(r"<(image|linearGradient|radialGradient|filter)\b", text)
    image = QIcon(str(path)).pixmap(QSize(64, 64)).toImage()
    painted = [image.pixelColor(x, y) for y in range(64) for x in range(64)]
    assert sum(c.alpha() > 0 for c in painted) > 64 * 64 * 0.2  # a shape, not an empty canvas
    assert all((c.red(), c.green(), c.blue()) == (0, 0, 0) for c in painted if c.alpha() > 0)


def test_macos_tray_uses_mask_icons_and_others_keep_colour(qapp) -> None:
    for state in TRAY:
        assert tray_icon(state, platform="darwin").isMask()
        assert not tray_icon(state, platform="linux").isMask()
        assert not tray_icon(state, platform="win32").isMask()
    assert not icon("tray-idle").isMask()  # the cached coloured icon is not changed by its template copy
    assert (
        tray_icon("unknown state", platform="darwin").cacheKey()
        == tray_icon("idle", platform="darwin").cacheKey()
    )


@pytest.mark.parametrize("name", sorted(TRAY.values()))
@pytest.mark.parametrize("panel", sorted(PANELS))
def test_coloured_tray_icon_stands_out_on_light_and_dark_panels(qapp, name: str, panel: str) -> None:
    """At tray size, at least a third of the slot must differ clearly from the panel behind it."""
    background = QColor(PANELS[panel])
    image = QImage(PANEL_SIZE, PANEL_SIZE, QImage.Format.Format_ARGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.drawPixmap(0, 0, icon(name).pixmap(QSize(PANEL_SIZE, PANEL_SIZE)))
    painter.end()
    distinct = 0
    for y in range(PANEL_SIZE):
        for x in range(PANEL_SIZE):
            c = image.pixelColor(x, y)
            distance = (
                abs(c.red() - background.red())
                + abs(c.green() - background.green())
                + abs(c.blue() - background.blue())
            )
            distinct += distance > 60
    assert distinct >= PANEL_SIZE * PANEL_SIZE / 3, f"{name} on a {panel} panel: {distinct} distinct pixels"
