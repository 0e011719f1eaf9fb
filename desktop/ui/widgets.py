"""Small building blocks the pages share: headings, a stat card and a segmented choice."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.ui import palette as pal
from desktop.ui.tables import tabular_font


def heading_font(widget: QWidget, scale: float = 1.25) -> QFont:
    """Bold, `scale` times the widget's own size: page titles and section headings."""
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    return font


def heading(text: str, parent: QWidget, scale: float = 1.25) -> QLabel:
    label = QLabel(text, parent)
    label.setFont(heading_font(label, scale))
    return label


class StatCard(QFrame):
    """Title, a big number, and a line under it (the change against last week)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title, self)
        self.value = QLabel("—", self)
        self.detail = QLabel("", self)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        big = tabular_font(self.font())
        big.setPointSizeF(max(self.font().pointSizeF() * 1.7, 15))
        big.setWeight(QFont.Weight.DemiBold)
        self.value.setFont(big)
        self.detail.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        self._restyle()

    def set(self, value: str, detail: str = "", tooltip: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.setToolTip(tooltip)

    def _restyle(self) -> None:
        p = self.palette()
        border = pal.grid_colour(p).name(QColor.NameFormat.HexArgb)
        sheet = (f"QFrame#statCard {{ background: {p.color(QPalette.ColorRole.Base).name()}; "
                 f"border: 1px solid {border}; border-radius: 8px; }}")
        if sheet != self.styleSheet():  # setting a style sheet changes the palette: only when it differs
            self.setStyleSheet(sheet)
        self.title.setStyleSheet(f"color: {pal.muted_text(p).name()};")
        self.detail.setStyleSheet(f"color: {pal.muted_text(p).name()};")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._restyle()
        super().changeEvent(event)


class Segmented(QWidget):
    """A row of exclusive buttons (Week | Month | ...); `changed` carries the chosen key."""

    changed = Signal(str)

    def __init__(self, choices: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for key, label in choices:
            button = QPushButton(label, self)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, k=key: self.changed.emit(k))
            self.group.addButton(button)
            layout.addWidget(button)
            self.buttons[key] = button
        self._restyle()

    def _restyle(self) -> None:
        """The chosen segment in the highlight colour, so it reads as chosen in light and dark alike."""
        p = self.palette()
        border = pal.grid_colour(p).name(QColor.NameFormat.HexArgb)
        sheet = (
            f"QPushButton {{ padding: 4px 14px; border: 1px solid {border}; background: {p.color(QPalette.ColorRole.Button).name()};"
            f" color: {p.color(QPalette.ColorRole.ButtonText).name()}; }}"
            f"QPushButton:checked {{ background: {p.color(QPalette.ColorRole.Highlight).name()};"
            f" color: {p.color(QPalette.ColorRole.HighlightedText).name()}; border-color: {p.color(QPalette.ColorRole.Highlight).name()}; }}"
            "QPushButton:disabled { color: gray; }"
        )  # fmt: skip
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._restyle()
        super().changeEvent(event)

    def set_current(self, key: str) -> None:
        button = self.buttons.get(key)
        if button is not None:
            button.setChecked(True)

    def current(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return ""

    def choose(self, key: str) -> None:
        """As if the user clicked."""
        self.buttons[key].click()
