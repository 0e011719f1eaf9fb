"""House rule 1: only desktop/ui imports Qt; and no module talks to the network."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "desktop"
NETWORK_MODULES = re.compile(r"^\s*(import|from)\s+(urllib\.request|http\.client|requests|httpx|aiohttp|urllib3|socket|ftplib|smtplib)\b", re.M)


def test_only_ui_imports_qt() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(PySide6|pyqtgraph)\b", text, re.M):
            offenders.append(str(path))
    assert offenders == []


def test_nothing_imports_a_network_client() -> None:
    offenders = [str(p) for p in PACKAGE.rglob("*.py") if NETWORK_MODULES.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_nothing_outside_ui_imports_ui() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts or path.name in ("cli.py",):
            continue
        if re.search(r"^\s*(import|from)\s+desktop\.ui\b", path.read_text(encoding="utf-8"), re.M):
            offenders.append(str(path))
    assert offenders == []
