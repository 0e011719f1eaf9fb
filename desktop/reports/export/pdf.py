"""PDF: the print variant of the HTML, laid out and written by Qt's own PDF writer (through a renderer from
desktop/ui, as nothing outside ui/ may import Qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from desktop.reports.export import html
from desktop.reports.export.files import write_private


class Renderer(Protocol):
    """What the Qt side provides (desktop/ui/export_render.py: QtRenderer)."""

    def charts(self, doc: dict[str, Any]) -> dict[str, bytes]:
        """Chart name ("daily.png", "models.png") -> PNG bytes; {} when there is nothing to draw."""
        ...

    def pdf(self, page_html: str, images: dict[str, bytes], title: str) -> bytes:
        """The HTML laid out on A4 pages, its <img src="name"> taken from `images`."""
        ...


def write(doc: dict[str, Any], out: Path, charts: dict[str, bytes], renderer: Renderer) -> list[Path]:
    page = html.render_for_print(doc, charts)
    write_private(out, renderer.pdf(page, charts, doc["title"]))
    return [out]
