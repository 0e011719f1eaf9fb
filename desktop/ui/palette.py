"""One fixed colour per assistant, the commit accent, and shades for models; light and dark alike.

The first eight sources take the Okabe-Ito set (distinguishable with every common colour-vision
deficiency); the rest take Paul Tol's muted set, lifted where it was too dark for a dark panel.
Every colour keeps a relative luminance between ~0.12 and ~0.65, so it reads on white and black.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

SOURCE_COLOURS: dict[str, str] = {
    "claude": "#E69F00",  # orange
    "codex": "#2F86D1",  # blue
    "gemini": "#009E73",  # bluish green
    "opencode": "#CC79A7",  # reddish purple
    "copilot": "#56B4E9",  # sky blue
    "cline": "#D55E00",  # vermillion
    "roo": "#DDCC77",  # sand
    "kilo": "#3E9E5A",  # green
    "amp": "#AA4499",  # purple
    "qwen": "#44AA99",  # teal
    "goose": "#999933",  # olive
    "pi": "#CC6677",  # rose
    "zed": "#88CCEE",  # cyan
    "droid": "#A8436F",  # wine
    "aider": "#7B7BDB",  # indigo
    "kiro": "#A07A4E",  # brown
    "cursor": "#8F8F8F",  # grey
    "crush": "#B5A3E0",  # lavender
    "continue": "#BCBD22",  # yellow-green
}
SOURCE_NAMES: dict[str, str] = {
    "claude": "Claude Code", "codex": "Codex", "gemini": "Gemini CLI", "opencode": "OpenCode",
    "copilot": "Copilot", "cline": "Cline", "roo": "Roo Code", "kilo": "Kilo Code", "amp": "Amp",
    "qwen": "Qwen Code", "goose": "Goose", "pi": "pi", "zed": "Zed", "droid": "Droid", "aider": "Aider",
    "kiro": "Kiro", "cursor": "Cursor", "crush": "Crush", "continue": "Continue",
}  # fmt: skip
UNKNOWN_COLOUR = "#A0A0A0"
COMMIT_ACCENT = "#D1245A"  # crimson: no assistant uses it, so commits never read as usage


def source_colour(source: str) -> QColor:
    return QColor(SOURCE_COLOURS.get(source, UNKNOWN_COLOUR))


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def commit_colour() -> QColor:
    return QColor(COMMIT_ACCENT)


def model_colours(models: list[tuple[str, str]]) -> dict[str, QColor]:
    """(model, its main source) in display order -> shades of the source's colour, so a model still says its tool."""
    shades = (0, 35, -30, 60, -50, 80, 20, -15)
    used: dict[str, int] = {}
    result: dict[str, QColor] = {}
    for model, source in models:
        rank = used.get(source, 0)
        used[source] = rank + 1
        base = source_colour(source)
        h, s, v, _ = base.getHsv()
        shift = shades[rank % len(shades)]
        if shift >= 0:
            colour = QColor.fromHsv(h, max(s - shift, 40), min(v + shift // 3, 255))
        else:
            colour = QColor.fromHsv(h, min(s + 20, 255), max(v + shift, 90))
        result[model] = colour
    return result


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def muted_text(palette: QPalette) -> QColor:
    """Secondary text: the window text blended halfway to the background."""
    fg = palette.color(QPalette.ColorRole.WindowText)
    bg = palette.color(QPalette.ColorRole.Window)
    return QColor((fg.red() * 3 + bg.red() * 2) // 5, (fg.green() * 3 + bg.green() * 2) // 5,
                  (fg.blue() * 3 + bg.blue() * 2) // 5)  # fmt: skip


def weekend_shade(palette: QPalette) -> QColor:
    shade = QColor(palette.color(QPalette.ColorRole.WindowText))
    shade.setAlpha(16 if not is_dark(palette) else 22)
    return shade


def grid_colour(palette: QPalette) -> QColor:
    grid = QColor(palette.color(QPalette.ColorRole.WindowText))
    grid.setAlpha(40)
    return grid


def sidebar_colour(palette: QPalette) -> QColor:
    """The sidebar sits a step away from the page background, in either theme."""
    window = palette.color(QPalette.ColorRole.Window)
    return window.darker(106) if not is_dark(palette) else window.lighter(125)


def dark_palette() -> QPalette:
    """A dark system palette, for platforms (and screenshots) that ask for dark without giving one."""
    p = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#202124", role.WindowText: "#E8EAED", role.Base: "#18191B", role.AlternateBase: "#232428",
        role.ToolTipBase: "#2B2C30", role.ToolTipText: "#E8EAED", role.Text: "#E8EAED", role.Button: "#2B2C30",
        role.ButtonText: "#E8EAED", role.BrightText: "#FF6B6B", role.Highlight: "#3B7DD8",
        role.HighlightedText: "#FFFFFF", role.Link: "#7AB7FF", role.PlaceholderText: "#8A8D93",
        role.Light: "#3A3B3F", role.Midlight: "#2F3034", role.Mid: "#26272A", role.Dark: "#111214",
        role.Shadow: "#000000",
    }  # fmt: skip
    for r, value in colours.items():
        p.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor("#6B6E74"))
    return p
