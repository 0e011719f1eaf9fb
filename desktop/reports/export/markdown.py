"""Markdown: the layout's blocks as GitHub-flavoured Markdown; charts are PNG files in `<name>_files/` beside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from desktop.reports.export import layout
from desktop.reports.export.files import private_folder, write_private

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def render(doc: dict[str, Any], image_folder: str | None, charts: list[str]) -> str:
    """The Markdown text; images are referenced as `<image_folder>/<name>`."""
    lines: list[str] = []
    for block in layout.blocks(doc, charts if image_folder else []):
        if isinstance(block, layout.Heading):
            lines += ["#" * block.level + " " + escape(block.text), ""]
        elif isinstance(block, layout.Para):
            text = (f"**{escape(block.lead)}** " if block.lead else "") + escape(block.text)
            lines += [f"*{text}*" if block.muted and not block.lead else text, ""]
        elif isinstance(block, layout.Table):
            lines += _table(block) + [""]
        elif isinstance(block, layout.Image):
            target = f"{image_folder}/{block.name}"
            target = f"<{target}>" if " " in target else target
            lines += [f"![{escape(block.caption)}]({target})", "", f"*{escape(block.caption)}*", ""]
        elif isinstance(block, layout.Bullets):
            lines += [f"- {escape(item)}" for item in block.items] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _table(table: layout.Table) -> list[str]:
    head = "| " + " | ".join(escape(h) or " " for h in table.headers) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in table.numeric) + "|"
    body = []
    for i, row in enumerate(table.rows):
        cells = [escape(c) for c in row]
        if table.total and i == len(table.rows) - 1:
            cells = [f"**{c}**" if c else c for c in cells]
        body.append("| " + " | ".join(cells) + " |")
    return [head, rule, *body]


def write(doc: dict[str, Any], out: Path, charts: dict[str, bytes]) -> list[Path]:
    """`out` and, when there are charts, `<stem>_files/*.png` beside it."""
    written = []
    folder_name = f"{out.stem}_files"
    if charts:
        folder = private_folder(out.parent / folder_name)
        for name, png in charts.items():
            write_private(folder / name, png)
            written.append(folder / name)
    write_private(out, render(doc, folder_name if charts else None, list(charts)))
    return [out, *written]
