"""A one-line progress bar for long scans on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from desktop.ingest import ScanProgress


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class TerminalProgress:
    """Redraws at most ten times a second; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO | None = None, min_bytes: int = 32 << 20) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.min_bytes = min_bytes  # small scans finish before a bar would help
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: ScanProgress) -> None:
        if not self.enabled or progress.bytes_total < self.min_bytes:
            return
        now = time.monotonic()
        finished = progress.bytes_done >= progress.bytes_total
        if now - self._last < 0.1 and not finished:
            return
        self._last = now
        share = progress.bytes_done / progress.bytes_total if progress.bytes_total else 1.0
        filled = int(share * 30)
        text = (
            f"\rscanning [{'█' * filled}{' ' * (30 - filled)}] {share * 100:3.0f}%  "
            f"{_size(progress.bytes_done)} of {_size(progress.bytes_total)}  "
            f"file {min(progress.files_done + 1, progress.files_total)}/{progress.files_total}"
        )
        self.stream.write(text.ljust(90))
        self.stream.flush()
        self._drawn = True
        if finished:
            self.close()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()
            self._drawn = False
