"""Tables that read alike: numbers right-aligned in tabular figures, sort on every column, and
sort order and widths remembered in the archive's window state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop import formatting as fmt
from desktop.ui import palette as pal

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_ROLE = Qt.ItemDataRole.UserRole + 3
NUMERIC = {"tokens", "money", "int", "percent", "ratio_money"}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # text | tokens | money | int | percent | time
    tooltip: str = ""
    width: int = 0  # default width in pixels; 0 = fit the title
    sort_key: str = ""  # the raw value to sort by when the text is not sortable (dates shown as words)


def tabular_font(base: QFont | None = None) -> QFont:
    font = QFont(base or QGuiApplication.font())
    try:
        font.setFeature(QFont.Tag("tnum"), 1)  # equal-width digits, so columns of numbers line up
    except (AttributeError, TypeError):
        pass
    return font


def format_cell(kind: str, value: Any, row: dict[str, Any]) -> str:
    estimate = bool(row.get("is_estimate"))
    if value is None:
        return fmt.UNPRICED if kind in ("money", "ratio_money", "percent") else ""
    if kind == "tokens":
        return fmt.tokens(value, estimate)
    if kind in ("money", "ratio_money"):
        return fmt.money(value, estimate)
    if kind == "int":
        return fmt.integer(int(value))
    if kind == "percent":
        return f"{value * 100:.0f}%"
    return str(value)


class RowModel(QAbstractTableModel):
    """Rows are dicts; columns say how each key reads. Sorting uses raw values, never the text."""

    def __init__(self, columns: list[Column], parent: QWidget | None = None,
                 tooltip: Callable[[dict, Column], str | None] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.columns = columns
        self.rows: list[dict[str, Any]] = []
        self._tooltip = tooltip
        self._font = tabular_font()

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.kind in NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        value = row.get(column.key)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_cell(column.kind, value, row)
        if role == SORT_ROLE:
            if column.sort_key:
                return row.get(column.sort_key)
            if column.kind in NUMERIC:
                return float("-inf") if value is None else float(value)
            return str(value or "").lower()
        if role == SEARCH_ROLE:
            return row.get("_search", "")
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.kind in NUMERIC else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column.kind in NUMERIC:
            return self._font
        if role == Qt.ItemDataRole.ForegroundRole and column.kind in NUMERIC and row.get("is_estimate"):
            return pal.muted_text(QGuiApplication.palette())
        if role == Qt.ItemDataRole.ToolTipRole:
            if self._tooltip is not None:
                text = self._tooltip(row, column)
                if text:
                    return text
            if value is None and column.kind in ("money", "ratio_money"):
                return "Unpriced: the price table does not know this model, so no cost is shown (never $0)."
            if row.get("is_estimate") and column.kind in NUMERIC:
                return "Estimated by the assistant or from text length, not measured."
        return None


class SortFilter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)


class RememberedTable(QTableView):
    """A sortable table that keeps its sort and column widths in the window state under `state_key`."""

    def __init__(self, columns: list[Column], state_key: str, remember: Callable[[str, Any], None],
                 recall: Callable[[str, Any], Any], parent: QWidget | None = None,
                 tooltip: Callable[[dict, Column], str | None] | None = None,
                 default_sort: tuple[str, Qt.SortOrder] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.columns = columns
        self.state_key = state_key
        self._remember = remember
        self.source = RowModel(columns, self, tooltip)
        self.proxy = SortFilter(self)
        self.proxy.setSourceModel(self.source)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionsMovable(False)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(48)
        state = recall(state_key, {}) or {}
        widths = state.get("widths", {})
        metrics = self.fontMetrics()
        for i, column in enumerate(columns):
            width = widths.get(column.key) or column.width or max(metrics.horizontalAdvance(column.title) + 36, 72)
            header.resizeSection(i, int(width))
        sort_key, order = state.get("sort"), state.get("order")
        keys = [c.key for c in columns]
        if sort_key in keys:
            self.sortByColumn(keys.index(sort_key), Qt.SortOrder(order or 0))
        elif default_sort and default_sort[0] in keys:
            self.sortByColumn(keys.index(default_sort[0]), default_sort[1])
        header.sortIndicatorChanged.connect(self._save)
        header.sectionResized.connect(self._save)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

    def stretch(self, key: str) -> None:
        """One text column takes the spare width (the others keep theirs)."""
        keys = [c.key for c in self.columns]
        self.horizontalHeader().setSectionResizeMode(keys.index(key), QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.source.set_rows(rows)

    def row_at(self, proxy_row: int) -> dict[str, Any] | None:
        if not 0 <= proxy_row < self.proxy.rowCount():
            return None
        return self.proxy.index(proxy_row, 0).data(ROW_ROLE)

    def selected_row(self) -> dict[str, Any] | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return rows[0].data(ROW_ROLE) if rows else None

    def texts(self, proxy_row: int) -> list[str]:
        """The row as the user reads it (tests assert these)."""
        return [self.proxy.index(proxy_row, c).data() or "" for c in range(len(self.columns))]

    def column_texts(self, key: str) -> list[str]:
        c = [col.key for col in self.columns].index(key)
        return [self.proxy.index(r, c).data() or "" for r in range(self.proxy.rowCount())]

    def _save(self, *args: Any) -> None:
        header = self.horizontalHeader()
        widths = {c.key: header.sectionSize(i) for i, c in enumerate(self.columns)
                  if header.sectionResizeMode(i) != QHeaderView.ResizeMode.Stretch}  # fmt: skip
        state = {"widths": widths, "sort": self.columns[header.sortIndicatorSection()].key
                 if 0 <= header.sortIndicatorSection() < len(self.columns) else None,
                 "order": int(header.sortIndicatorOrder().value)}  # fmt: skip
        self._remember(self.state_key, state)


def muted_style(widget: QWidget) -> str:
    return f"color: {pal.muted_text(widget.palette()).name()};"


def base_colour(widget: QWidget) -> str:
    return widget.palette().color(QPalette.ColorRole.Base).name()
