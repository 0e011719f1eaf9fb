"""The Qt half of exports: charts drawn with QPainter into PNG, and PDF pages from Qt's own PDF writer.

Hands `desktop.reports.export.export` a renderer (QtRenderer). Works without a display: when no Qt
application exists yet (the `export` command), an offscreen QGuiApplication is made for it. Everything
here paints into QImage / QPdfWriter, never onto a widget, so it may run on a worker thread.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QPointF, QRectF, Qt, QUrl
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)

from desktop import formatting as fmt
from desktop.ui.palette import COMMIT_ACCENT, SOURCE_COLOURS, UNKNOWN_COLOUR, model_colours

_APP: QGuiApplication | None = None  # the offscreen application made for a command-line export
MAX_SERIES = 8  # stacks past this become "Other", as in the window's chart
OTHER_COLOUR = "#B0B0B0"
INK, MUTED, GRID, SHADE = "#1D1D1F", "#6E6E73", "#E3E3E8", "#F3F3F6"
SCALE = 2  # pixels per layout unit: sharp on screens and in print


def ensure_application() -> None:
    """A QGuiApplication to draw text with: the running one, or an offscreen one made here once."""
    global _APP
    if QGuiApplication.instance() is None:
        _APP = QGuiApplication(["tokenmirror-export", "-platform", "offscreen"])


class QtRenderer:
    """charts(doc) -> {"daily.png": PNG, "models.png": PNG}; pdf(html, images, title) -> PDF bytes."""

    def __init__(self) -> None:
        ensure_application()

    def charts(self, doc: dict[str, Any]) -> dict[str, bytes]:
        result = {}
        if any(d["total_tokens"] or d["commits"] for d in doc["daily"]):
            result["daily.png"] = _png(daily_chart(doc))
        if doc["totals"]["total_tokens"]:
            result["models.png"] = _png(model_chart(doc))
        return result

    def pdf(self, page_html: str, images: dict[str, bytes], title: str) -> bytes:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        writer = QPdfWriter(buffer)
        writer.setTitle(title)
        writer.setCreator("Tokenmirror")
        writer.setResolution(300)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter))  # fmt: skip
        document = QTextDocument()
        document.setDefaultFont(_font(9))
        for name, png in images.items():
            document.addResource(
                QTextDocument.ResourceType.ImageResource.value, QUrl(name), QImage.fromData(png)
            )
        document.setHtml(page_html)
        document.print_(writer)  # unpaginated: Qt paginates with 2 cm margins and numbers the pages
        del writer  # finishes the file
        data = bytes(buffer.data())
        buffer.close()
        return data


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def _png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data)


def _canvas(width: int, height: int) -> tuple[QImage, QPainter]:
    image = QImage(width * SCALE, height * SCALE, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(SCALE)
    image.fill(QColor("#FFFFFF"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    return image, painter


def nice_top(value: float, integer: bool = False) -> float:
    """An axis top a little above the value, on a round step."""
    if value <= 0:
        return 4.0 if integer else 1.0
    raw = value * 1.1
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if raw <= step * magnitude:
            return max(step * magnitude, 4.0) if integer else step * magnitude
    return raw


def day_labels(days: list[date]) -> list[tuple[int, str]]:
    """Labels that fit: every day for a week, a few for a month, Mondays for a quarter, months for a year."""
    n = len(days)
    if n <= 10:
        return [(i, f"{d:%a} {d.day}") for i, d in enumerate(days)]
    if n <= 62:
        step = 2 if n <= 20 else 4 if n <= 35 else 7
        return [(i, f"{d.day} {d:%b}") for i, d in enumerate(days) if i % step == 0]
    if n <= 190:
        return [(i, f"{d.day} {d:%b}") for i, d in enumerate(days) if d.weekday() == 0 and i + 2 < n]
    return [(i, f"{d:%b}" if d.month != 1 else f"{d:%b %Y}") for i, d in enumerate(days) if d.day == 1]


def _series(doc: dict[str, Any]) -> list[tuple[str, str, QColor, bool]]:
    """(key, legend label, colour, estimated) per stack, biggest first; the tail folded into Other."""
    order: list[str] = []
    names, estimated = {}, {}
    for row in doc["by_source"]:
        if row["total_tokens"] and row["source"] not in order:
            order.append(row["source"])
        names[row["source"]] = row["name"]
        estimated[row["source"]] = estimated.get(row["source"], True) and row["is_estimate"]
    shown = order if len(order) <= MAX_SERIES else order[: MAX_SERIES - 1]
    series = [(s, names[s] + (" (estimated)" if estimated[s] else ""), QColor(SOURCE_COLOURS.get(s, UNKNOWN_COLOUR)),
               estimated[s]) for s in shown]  # fmt: skip
    if len(shown) < len(order):
        series.append(("", "Other", QColor(OTHER_COLOUR), False))
    return series


def daily_chart(doc: dict[str, Any], width: int = 760, height: int = 300) -> QImage:
    """Tokens per day stacked by assistant; the user's commits as dots on a right axis; weekends shaded."""
    image, p = _canvas(width, height)
    days = [date.fromisoformat(d["date"]) for d in doc["daily"]]
    series = _series(doc)
    keys = {s[0] for s in series}
    stacks = []
    for d in doc["daily"]:
        values = {k: v for k, v in d["by_source"].items() if k in keys}
        other = sum(v for k, v in d["by_source"].items() if k not in keys)
        stacks.append([values.get(key, 0) if key else other for key, *_ in series])
    top = nice_top(max((sum(s) for s in stacks), default=0))
    commits = [d["commits"] for d in doc["daily"]]
    commit_top = max(
        4, math.ceil(max(commits, default=0) * 1.1 / 4) * 4
    )  # quarter ticks land on whole commits
    small, label = _font(7.5), _font(8)
    metrics = QFontMetricsF(small)
    left, right, top_pad, bottom = 56, 44, 34, 30
    plot = QRectF(left, top_pad, width - left - right, height - top_pad - bottom)
    slot = plot.width() / max(len(days), 1)
    # weekends, grid and the left (tokens) and right (commits) axes
    for i, day in enumerate(days):
        if day.weekday() >= 5:
            p.fillRect(QRectF(plot.left() + i * slot, plot.top(), slot, plot.height()), QColor(SHADE))
    p.setFont(small)
    for step in range(5):
        y = plot.bottom() - plot.height() * step / 4
        p.setPen(QPen(QColor(GRID), 0.8))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        p.setPen(QColor(MUTED))
        p.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   fmt.tokens(top * step / 4))  # fmt: skip
        count = commit_top * step // 4
        p.drawText(QRectF(plot.right() + 6, y - 8, right - 6, 16), Qt.AlignmentFlag.AlignVCenter, str(count))
    p.drawText(QRectF(4, 2, left + 40, 14), Qt.AlignmentFlag.AlignLeft, "tokens")
    p.drawText(QRectF(width - right - 20, 2, right + 18, 14), Qt.AlignmentFlag.AlignRight, "commits")
    # the stacked bars
    bar = max(slot * 0.72, 0.6)
    for i, stack in enumerate(stacks):
        x = plot.left() + i * slot + (slot - bar) / 2
        base = plot.bottom()
        for (_, _, colour, estimate), value in zip(series, stack, strict=True):
            if not value:
                continue
            h = plot.height() * value / top
            rect = QRectF(x, base - h, bar, h)
            p.fillRect(rect, colour)
            if estimate:  # estimates are hatched, never passed off as measured
                p.fillRect(rect, QBrush(QColor(255, 255, 255, 150), Qt.BrushStyle.BDiagPattern))
            base -= h
    # commits: accent dots on their own axis, never another stack
    accent = QColor(COMMIT_ACCENT)
    p.setPen(QPen(QColor("#FFFFFF"), 1.2))
    p.setBrush(accent)
    radius = min(4.0, max(2.0, slot * 0.3))
    for i, n in enumerate(commits):
        if n:
            centre = QPointF(plot.left() + (i + 0.5) * slot, plot.bottom() - plot.height() * n / commit_top)
            p.drawEllipse(centre, radius, radius)
    # day labels and the legend
    p.setPen(QColor(MUTED))
    for i, text in day_labels(days):
        cx = plot.left() + (i + 0.5) * slot
        p.drawText(QRectF(cx - 40, plot.bottom() + 4, 80, 14), Qt.AlignmentFlag.AlignHCenter, text)
    p.setFont(label)
    x = left
    entries = [(name, colour, "bar") for _, name, colour, _ in series] + [("your commits", accent, "dot")]
    for name, colour, kind in entries:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        if kind == "dot":
            p.drawEllipse(QPointF(x + 5, 22), 4, 4)
        else:
            p.drawRoundedRect(QRectF(x, 17, 10, 10), 2, 2)
        p.setPen(QColor(INK))
        p.drawText(QPointF(x + 14, 26), name)
        x += 14 + metrics.horizontalAdvance(name) * 1.1 + 14
    p.end()
    return image


def model_chart(doc: dict[str, Any], width: int = 760) -> QImage:
    """Horizontal bars: each model's share of the period's tokens, in its assistant's colour."""
    models = doc["by_model"][:MAX_SERIES]
    total = doc["totals"]["total_tokens"] or 1
    rest = doc["by_model"][MAX_SERIES:]
    colours = model_colours([(m["model"], m["source"]) for m in models])
    rows = [
        (f"{m['model']} ({m['source']})", m["total_tokens"], colours[m["model"]], m["is_estimate"])
        for m in models
    ]
    if rest:
        rows.append(
            (f"{len(rest)} more models", sum(m["total_tokens"] for m in rest), QColor(OTHER_COLOUR), False)
        )
    row_h, pad = 24, 10
    height = pad * 2 + row_h * len(rows)
    image, p = _canvas(width, height)
    font = _font(8)
    p.setFont(font)
    metrics = QFontMetricsF(font)
    name_w = min(max((metrics.horizontalAdvance(r[0]) for r in rows), default=0) + 12, width * 0.45)
    value_w = 120
    bar_w = width - name_w - value_w - 2 * pad
    biggest = max((r[1] for r in rows), default=1) or 1
    for i, (name, value, colour, estimate) in enumerate(rows):
        y = pad + i * row_h
        p.setPen(QColor(INK))
        shown = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, name_w - 12)
        p.drawText(QRectF(pad, y, name_w - 12, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   shown)  # fmt: skip
        rect = QRectF(pad + name_w, y + 5, max(bar_w * value / biggest, 1.0), row_h - 10)
        p.fillRect(rect, colour)
        if estimate:
            p.fillRect(rect, QBrush(QColor(255, 255, 255, 150), Qt.BrushStyle.BDiagPattern))
        p.setPen(QColor(MUTED))
        text = f"{fmt.tokens(value, estimate)} · {value / total * 100:.0f}%"
        p.drawText(QRectF(rect.right() + 6, y, value_w, row_h), Qt.AlignmentFlag.AlignVCenter, text)
    p.end()
    return image
