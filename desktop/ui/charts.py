"""The daily chart: tokens stacked by tool or model, commits on a right axis, cost on demand.

Data arrives as one `ChartData` (aggregated arrays); drawing happens on a single-shot timer, so
any burst of updates (range change, grouping toggle, a scan finishing) costs one redraw.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedLayout,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting as fmt
from desktop.ui import palette as pal
from desktop.ui.data import ChartData

REDRAW_MS = 15
MAX_SERIES = 8  # more stacks stop being readable: the tail becomes "Other"
OTHER = "Other"
BAR_WIDTH = 0.72

pg.setConfigOptions(antialias=True)


class _TokenAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):  # noqa: N802 - Qt naming
        return [fmt.tokens(v) if v >= 0 else "" for v in values]


class _MoneyAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [fmt.money(v) if v >= 0 else "" for v in values]


class _CountAxis(pg.AxisItem):
    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [f"{v:.0f}" if v >= 0 and abs(v - round(v)) < 1e-6 else "" for v in values]


def day_ticks(days: list[date]) -> list[tuple[float, str]]:
    """Labels that fit: every day for a week, Mondays-ish for a month or quarter, months for a year."""
    n = len(days)
    if n <= 10:
        return [(i, f"{d:%a} {d.day}") for i, d in enumerate(days)]
    if n <= 45:
        step = 2 if n <= 20 else 4 if n <= 35 else 5
        return [(i, f"{d.day} {d:%b}") for i, d in enumerate(days) if i % step == 0]
    if n <= 120:
        return [(i, f"{d.day} {d:%b}") for i, d in enumerate(days) if d.weekday() == 0 and i + 2 < n]
    if n <= 800:
        return [(i, f"{d:%b}" if d.month != 1 else f"{d:%b %Y}") for i, d in enumerate(days) if d.day == 1]
    return [(i, f"{d.year}") for i, d in enumerate(days) if d.day == 1 and d.month == 1]


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def nice_top(value: float, integer: bool = False) -> float:
    """An axis top a little above the value, on a 1-2-2.5-5 step so ticks land on round numbers."""
    if value <= 0:
        return 4.0 if integer else 1.0
    raw = value * 1.12
    magnitude = 10 ** np.floor(np.log10(raw))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if raw <= step * magnitude:
            top = step * magnitude
            return max(top, 4.0) if integer else top
    return raw


def swatch(colour: QColor, kind: str = "square", size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    if kind == "diamond":
        h = size / 2
        painter.drawPolygon(QPolygonF([QPointF(h, 1), QPointF(size - 1, h), QPointF(h, size - 1), QPointF(1, h)]))
    elif kind == "line":
        painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
        painter.drawLine(1, size // 2, size - 1, size // 2)
    else:
        painter.drawRoundedRect(1, 1, size - 2, size - 2, 2, 2)
    painter.end()
    return QIcon(pixmap)


class LegendBar(QWidget):
    """Chips under the chart; clicking one hides or shows its series (stacks re-stack)."""

    toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self._layout.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}

    def set_items(self, items: list[tuple[str, str, QColor, str]], hidden: set[str]) -> None:
        """(key, label, colour, swatch kind)."""
        while self._layout.count():
            child = self._layout.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        self.buttons = {}
        for key, label, colour, kind in items:
            button = QToolButton(self)
            button.setText(label)
            button.setIcon(swatch(colour, kind))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setCheckable(True)
            button.setChecked(key not in hidden)
            button.setAutoRaise(True)
            button.setToolTip(f"Show or hide {label}")
            button.toggled.connect(lambda on, k=key: self.toggled.emit(k, on))
            self._layout.addWidget(button)
            self.buttons[key] = button
        self._layout.addStretch(1)


class UsageChart(QWidget):
    """Stacked daily bars; `redrawn` fires after each actual redraw (tests and the benchmark wait on it)."""

    redrawn = Signal()
    day_context_requested = Signal(object)  # date: "Show sessions" on a bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: ChartData | None = None
        self.show_cost = False
        self.hidden: set[str] = set()
        self.keys: list[str] = []  # displayed series, stacking order
        self.measured = np.zeros((0, 0))
        self.estimated = np.zeros((0, 0))
        self.colours: dict[str, QColor] = {}
        self.redraws = 0
        self._hover = -1
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self._redraw)

        self.plot_widget = pg.PlotWidget(
            axisItems={"left": _TokenAxis("left"), "right": _CountAxis("right")}, enableMenu=False
        )
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.vb.setMouseEnabled(False, False)
        self.plot.vb.setDefaultPadding(0)
        self.plot.showAxis("right")
        self.plot.showGrid(x=False, y=True, alpha=0.22)
        for name in ("left", "right"):
            self.plot.getAxis(name).setStyle(maxTickLevel=0)  # major ticks only: a calm grid
        self.plot.setLabel("left", "tokens per day")
        self.plot.setLabel("right", "commits per day")
        self.commit_vb = pg.ViewBox(enableMenu=False)
        self.commit_vb.setMouseEnabled(False, False)
        self.commit_vb.setZValue(10)  # the commit line reads over the bars, never behind them
        self.plot.scene().addItem(self.commit_vb)
        self.plot.getAxis("right").linkToView(self.commit_vb)
        self.commit_vb.setXLink(self.plot)
        self.cost_axis = _MoneyAxis("right")
        self.cost_axis.setStyle(maxTickLevel=0)
        self.cost_vb = pg.ViewBox(enableMenu=False)
        self.cost_vb.setMouseEnabled(False, False)
        self.cost_vb.setZValue(11)
        self.plot.layout.addItem(self.cost_axis, 2, 3)
        self.plot.scene().addItem(self.cost_vb)
        self.cost_axis.linkToView(self.cost_vb)
        self.cost_vb.setXLink(self.plot)
        self.cost_axis.setLabel("cost per day (USD)")
        self.cost_axis.hide()
        self.plot.vb.sigResized.connect(self._sync_views)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.plot_widget.viewport().installEventFilter(self)
        self._highlight = pg.BarGraphItem(x=[0], height=[0], width=1.0, brush=QColor(0, 0, 0, 0), pen=None)
        self._highlight.setZValue(-5)

        self.legend = LegendBar(self)
        self.legend.toggled.connect(self._on_legend_toggled)
        self.empty_label = QLabel(self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty_label.setObjectName("emptyState")
        holder = QWidget(self)
        self._stack = QStackedLayout(holder)
        self._stack.addWidget(self.plot_widget)
        self._stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(holder, 1)
        layout.addWidget(self.legend)
        self._apply_theme()

    # --- input ------------------------------------------------------------------------------
    def set_data(self, data: ChartData, show_cost: bool | None = None) -> None:
        self.data = data
        if show_cost is not None:
            self.show_cost = show_cost
        self._timer.start()

    def set_show_cost(self, on: bool) -> None:
        self.show_cost = on
        self._timer.start()

    def flush(self) -> None:
        """Redraw now if one is pending (tests, benchmark)."""
        if self._timer.isActive():
            self._timer.stop()
            self._redraw()

    # --- drawing ----------------------------------------------------------------------------
    def _series(self, data: ChartData) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, str]]:
        keys, measured, estimated = list(data.keys), data.measured, data.estimated
        sources = dict(data.series_source)
        if len(keys) > MAX_SERIES:
            head = MAX_SERIES - 1
            measured = np.vstack([measured[:head], measured[head:].sum(axis=0, keepdims=True)])
            estimated = np.vstack([estimated[:head], estimated[head:].sum(axis=0, keepdims=True)])
            keys = keys[:head] + [OTHER]
            sources[OTHER] = ""
        return keys, measured, estimated, sources

    def _colours(self, keys: list[str], sources: dict[str, str], by: str) -> dict[str, QColor]:
        if by == "source":
            colours = {k: pal.source_colour(k) for k in keys}
        else:
            colours = pal.model_colours([(k, sources.get(k, "")) for k in keys if k != OTHER])
        colours[OTHER] = QColor(pal.UNKNOWN_COLOUR)
        return colours

    def label(self, key: str) -> str:
        if self.data is not None and self.data.by == "source":
            return pal.source_name(key)
        return key

    def _redraw(self) -> None:
        data = self.data
        if data is None:
            return
        self.redraws += 1
        self.plot.clear()
        self.commit_vb.clear()
        self.cost_vb.clear()
        self._hover = -1
        keys, measured, estimated, sources = self._series(data)
        self.keys, self.measured, self.estimated = keys, measured, estimated
        self.colours = self._colours(keys, sources, data.by)
        n = len(data.days)
        empty = data.empty
        self._stack.setCurrentIndex(1 if empty else 0)
        if empty:
            first, last = data.days[0], data.days[-1]
            span = f"on {long_day(first)}" if n == 1 else f"between {first.day} {first:%b} and {last.day} {last:%b %Y}"
            self.empty_label.setText(
                f"<p style='font-size:13pt'>No assistant usage or commits {span}.</p>"
                "<p>Pick a longer range, or come back after your assistants have written some logs.</p>"
            )
        legend: list[tuple[str, str, QColor, str]] = []
        xs = np.arange(n, dtype=float)
        visible = [i for i, k in enumerate(keys) if k not in self.hidden]
        base = np.zeros(n)
        for i in visible:
            colour = self.colours[keys[i]]
            heights = measured[i].astype(float)
            if heights.any():
                self.plot.addItem(pg.BarGraphItem(x=xs, y0=base.copy(), height=heights, width=BAR_WIDTH,
                                                  brush=colour, pen=None))  # fmt: skip
            base += heights
        for i in visible:  # estimates above every measured stack: never mixed in silently
            heights = estimated[i].astype(float)
            if not heights.any():
                continue
            colour = self.colours[keys[i]]
            light = QColor(colour)
            light.setAlpha(80)
            self.plot.addItem(pg.BarGraphItem(x=xs, y0=base.copy(), height=heights, width=BAR_WIDTH, brush=light,
                                              pen=pg.mkPen(colour, width=1)))  # fmt: skip
            self.plot.addItem(pg.BarGraphItem(x=xs, y0=base.copy(), height=heights, width=BAR_WIDTH,
                                              brush=QBrush(colour, Qt.BrushStyle.BDiagPattern), pen=None))  # fmt: skip
            base += heights
        for i, key in enumerate(keys):
            suffix = " (estimated)" if estimated[i].any() and not measured[i].any() else ""
            legend.append((key, self.label(key) + suffix, self.colours[key], "square"))
        top = nice_top(float(base.max()) if n else 0.0)
        self.plot.vb.setRange(xRange=(-0.6, n - 0.4), yRange=(0, top), padding=0)
        weekend = [i for i, d in enumerate(data.days) if d.weekday() >= 5]
        if weekend and n <= 120:
            shade = pg.BarGraphItem(x=weekend, y0=0, height=top, width=1.0, brush=pal.weekend_shade(self.palette()),
                                    pen=None)  # fmt: skip
            shade.setZValue(-10)
            self.plot.addItem(shade)
        self._highlight = pg.BarGraphItem(x=[0], height=[0], width=1.0, brush=QColor(0, 0, 0, 0), pen=None)
        self._highlight.setZValue(-5)
        self.plot.addItem(self._highlight)
        self.plot.getAxis("bottom").setTicks([day_ticks(data.days), []])
        accent = pal.commit_colour()
        if data.commits_known and "__commits__" not in self.hidden:
            commits = data.commits.astype(float)
            commits[data.future] = np.nan  # no line into days that have not happened
            size = 9 if n <= 45 else 6 if n <= 120 else 0
            line = pg.PlotDataItem(xs, commits, connect="finite", pen=pg.mkPen(accent, width=2 if n > 45 else 1.5),
                                   symbol="d" if size else None, symbolSize=size, symbolBrush=accent,
                                   symbolPen=pg.mkPen(self.palette().color(QPalette.ColorRole.Base), width=1))  # fmt: skip
            self.commit_vb.addItem(line)
        self.commit_vb.setRange(xRange=(-0.6, n - 0.4), yRange=(0, nice_top(float(data.commits.max()) if n else 0, True)),
                                padding=0)  # fmt: skip
        if data.commits_known:
            legend.append(("__commits__", "Commits", accent, "diamond"))
        self.plot.getAxis("right").setVisible(data.commits_known)
        self.cost_axis.setVisible(self.show_cost)
        if self.show_cost:
            ink = pal.muted_text(self.palette())
            cost = data.cost.astype(float)
            cost[data.future] = np.nan
            self.cost_vb.addItem(pg.PlotDataItem(xs, cost, connect="finite", pen=pg.mkPen(ink, width=2, style=Qt.PenStyle.DashLine)))
            self.cost_vb.setRange(xRange=(-0.6, n - 0.4), yRange=(0, nice_top(float(data.cost.max()) if n else 0)),
                                  padding=0)  # fmt: skip
            legend.append(("__cost__", "Cost", ink, "line"))
        self.legend.set_items(legend, self.hidden)
        self._sync_views()
        self.redrawn.emit()

    def _sync_views(self) -> None:
        rect = self.plot.vb.sceneBoundingRect()
        self.commit_vb.setGeometry(rect)
        self.cost_vb.setGeometry(rect)
        self.commit_vb.linkedViewChanged(self.plot.vb, self.commit_vb.XAxis)
        self.cost_vb.linkedViewChanged(self.plot.vb, self.cost_vb.XAxis)

    def _on_legend_toggled(self, key: str, on: bool) -> None:
        if on:
            self.hidden.discard(key)
        else:
            self.hidden.add(key)
        if key == "__cost__" and not on:
            self.hidden.discard(key)
            self.show_cost = False
        self._timer.start()

    # --- hover and context ------------------------------------------------------------------
    def index_at(self, scene_pos: QPointF) -> int:
        if self.data is None or not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return -1
        x = self.plot.vb.mapSceneToView(scene_pos).x()
        i = int(round(x))
        return i if 0 <= i < len(self.data.days) else -1

    def _on_mouse_moved(self, pos: QPointF) -> None:
        i = self.index_at(pos)
        if i == self._hover:
            return
        self._hover = i
        if i < 0 or self.data is None:
            self._highlight.setOpts(x=[0], height=[0])
            QToolTip.hideText()
            return
        top = self.plot.vb.viewRange()[1][1]
        shade = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        shade.setAlpha(40)
        self._highlight.setOpts(x=[i], y0=[0], height=[top], width=1.0, brush=shade)
        view_pos = self.plot_widget.mapFromScene(pos)
        QToolTip.showText(self.plot_widget.mapToGlobal(view_pos), self.day_text(i), self.plot_widget)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Leave and self._hover >= 0:
            self._hover = -1
            self._highlight.setOpts(x=[0], height=[0])
        return False

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.RightButton or self.data is None:
            return
        i = self.index_at(event.scenePos())
        if i < 0:
            return
        day = self.data.days[i]
        menu = QMenu(self)
        action = menu.addAction(f"Show sessions of {day:%a} {day.day} {day:%b}")
        action.triggered.connect(lambda: self.day_context_requested.emit(day))
        menu.popup(event.screenPos().toPoint())

    def day_text(self, i: int) -> str:
        """The hover text of day i: each series, totals, token kinds, commits."""
        data = self.data
        if data is None or not 0 <= i < len(data.days):
            return ""
        day = data.days[i]
        rows = []
        for k, key in enumerate(self.keys):
            m, e = int(self.measured[k][i]), int(self.estimated[k][i])
            if not m and not e:
                continue
            value = fmt.tokens(m) if m else ""
            if e:
                value = (value + " + " if value else "") + fmt.tokens(e, estimate=True)
            colour = self.colours.get(key, QColor(pal.UNKNOWN_COLOUR)).name()
            rows.append(f"<tr><td><span style='color:{colour}'>■</span> {self.label(key)}</td>"
                        f"<td align='right'>&nbsp;&nbsp;{value}</td></tr>")  # fmt: skip
        total = int(data.totals_per_day[i])
        events = int(data.events[i])
        cost = fmt.money(float(data.cost[i])) if events > int(data.unpriced[i]) else fmt.UNPRICED
        if data.unpriced[i] and events > int(data.unpriced[i]):
            cost += " + unpriced"
        lines = [f"<b>{long_day(day)}</b>"]
        if total:
            lines.append(f"<table>{''.join(rows)}</table>")
            lines.append(f"<b>{fmt.tokens(total)} tok · {cost}</b> · {fmt.integer(events)} calls")
            lines.append(
                f"in {fmt.tokens(int(data.input[i]))} · out {fmt.tokens(int(data.output[i]))} · "
                f"cache read {fmt.tokens(int(data.cache_read[i]))} · cache write {fmt.tokens(int(data.cache_write[i]))}"
            )
        else:
            lines.append("No assistant usage")
        if data.commits_known:
            c = int(data.commits[i])
            text = f"{c} commit{'s' if c != 1 else ''}"
            if c:
                ai = int(data.ai_commits[i])
                text += f" ({ai} with an AI trailer)" if ai else ""
                text += f" · {fmt.integer(int(data.lines[i]))} lines changed"
            lines.append(f"<span style='color:{pal.COMMIT_ACCENT}'>◆</span> {text}")
        return "<br>".join(lines)

    # --- theme ------------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        p = self.palette()
        self.plot_widget.setBackground(p.color(QPalette.ColorRole.Base))
        ink = p.color(QPalette.ColorRole.WindowText)
        for name in ("left", "bottom", "right"):
            axis = self.plot.getAxis(name)
            axis.setPen(pal.grid_colour(p))
            axis.setTextPen(ink)
        self.cost_axis.setPen(pal.grid_colour(p))
        self.cost_axis.setTextPen(ink)
        self.empty_label.setStyleSheet(f"color: {pal.muted_text(p).name()};")

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_theme()
            self._timer.start()
        super().changeEvent(event)
