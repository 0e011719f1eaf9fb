"""HTML: one self-contained file (styles inline, charts as base64 PNG, no external reference of any kind),
and the plainer variant Qt's text engine lays out for the PDF."""

from __future__ import annotations

import base64
import struct
from html import escape
from pathlib import Path
from typing import Any

from desktop.reports.export import layout
from desktop.reports.export.files import write_private

STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6e6e73; --rule: #d2d2d7; --band: #f5f5f7; }
@media (prefers-color-scheme: dark) { :root { --fg: #f5f5f7; --muted: #a1a1a6; --rule: #424245; --band: #1c1c1e; } }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
       max-width: 980px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid var(--rule); padding-bottom: .2rem; } h3 { font-size: 1rem; margin: 1.2rem 0 .2rem; }
p { margin: .4rem 0; } .muted { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; background: var(--band); }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; }
ul { margin: .3rem 0 .6rem; padding-left: 1.4rem; } li { margin: .1rem 0; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

PRINT_IMAGE_WIDTH = 600  # layout pixels (1/96 in): A4 less the 2 cm margins Qt prints with is ~640
PRINT_STYLE = """
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #1d1d1f; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 14pt; } h3 { font-size: 10pt; margin-top: 8pt; }
.muted { color: #6e6e73; } th { background-color: #ececf0; white-space: nowrap; }
.total { background-color: #f5f5f7; font-weight: bold; } .n, .k { white-space: nowrap; }
"""


NUMERIC = ' class="n" align="right"'
NOWRAP = ' class="k"'
PRINT_NOWRAP = 30  # characters: a column whose cells are all this short stays on one line in the PDF


def _table(table: layout.Table, for_print: bool) -> str:
    attrs = ' border="0" cellspacing="0" cellpadding="3" width="100%"' if for_print else ""
    columns = list(zip(*table.rows, strict=True)) if table.rows else [()] * len(table.headers)
    # Qt's layout wraps a cell at any hyphen: short columns (numbers, dates, model names) must not wrap
    keep = [n or (for_print and max(map(len, col), default=0) <= PRINT_NOWRAP)
            for n, col in zip(table.numeric, columns, strict=True)]  # fmt: skip
    cls = [(NUMERIC if n else NOWRAP if k else "") for n, k in zip(table.numeric, keep, strict=True)]
    head = "".join(f"<th{c}>{escape(h)}</th>" for h, c in zip(table.headers, cls, strict=True))
    rows = []
    for i, row in enumerate(table.rows):
        total = table.total and i == len(table.rows) - 1
        cells = "".join(f"<td{c}>{escape(v)}</td>" for v, c in zip(row, cls, strict=True))
        rows.append(f'<tr class="total">{cells}</tr>' if total else f"<tr>{cells}</tr>")
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def body(doc: dict[str, Any], sources: dict[str, str], for_print: bool = False,
         sizes: dict[str, str] | None = None) -> str:  # fmt: skip
    """The blocks as HTML; `sources` maps chart name -> the src its <img> uses, `sizes` -> width/height attributes."""
    sizes = sizes or {}
    parts = []
    for block in layout.blocks(doc, list(sources)):
        if isinstance(block, layout.Heading):
            parts.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, layout.Para):
            lead = f"<b>{escape(block.lead)}</b> " if block.lead else ""
            muted = ' class="muted"' if block.muted else ""
            parts.append(f"<p{muted}>{lead}{escape(block.text)}</p>")
        elif isinstance(block, layout.Table):
            parts.append(_table(block, for_print))
        elif isinstance(block, layout.Image):
            src, caption = sources[block.name], escape(block.caption)
            if for_print:  # Qt's text engine knows no <figure>: the caption goes under the image
                size = sizes.get(block.name, "")
                parts.append(f'<p><img src="{src}"{size}></p><p class="muted">{caption}</p>')
            else:
                parts.append(
                    f'<figure><img src="{src}" alt="{caption}"><figcaption>{caption}</figcaption></figure>'
                )
        elif isinstance(block, layout.Bullets):
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>")
    return "\n".join(parts)


def render(doc: dict[str, Any], charts: dict[str, bytes]) -> str:
    """The whole self-contained page."""
    sources = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for name, png in charts.items()
    }
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(doc['title'])}</title><style>{STYLE}</style></head>\n<body>\n"
        f"{body(doc, sources)}\n</body></html>\n"
    )


def render_for_print(doc: dict[str, Any], charts: dict[str, bytes]) -> str:
    """HTML for Qt's QTextDocument: images by name (the renderer registers them as resources), sized to the page."""
    sizes = {}
    for name, png in charts.items():
        width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
        sizes[name] = f' width="{PRINT_IMAGE_WIDTH}" height="{round(PRINT_IMAGE_WIDTH * height / width)}"'
    return (
        f'<html><head><meta charset="utf-8"><style>{PRINT_STYLE}</style></head><body>'
        f"{body(doc, {name: name for name in charts}, True, sizes)}</body></html>"
    )


def write(doc: dict[str, Any], out: Path, charts: dict[str, bytes]) -> list[Path]:
    write_private(out, render(doc, charts))
    return [out]
