"""The desktop app: Qt only. Nothing outside this package may import PySide6 or pyqtgraph."""
