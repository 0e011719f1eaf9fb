"""The real tray icon and menu on an X display with a tray (Xvfb + jwm), as CI and a desktop have it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_xsession():
    """packaging/ is a folder of scripts, not the PyPI `packaging` module: load the file by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tokenmirror_xsession", REPO / "packaging" / "xsession.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


xsession = _load_xsession()

pytestmark = [pytest.mark.xvfb, pytest.mark.skipif(not xsession.available(), reason="Xvfb and jwm are not installed")]


def test_tray_icon_menu_and_window_under_x11(home, paths, tmp_path):
    out = tmp_path / "probe.json"
    with xsession.x_session() as display:
        env = {**os.environ, **display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # the xembed tray, as jwm offers it
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("tray_probe.py")), str(paths.data),
                               str(home), str(out)], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(out.read_text())
    assert seen["tray_available"] and seen["use_tray"]
    assert seen["icon_visible"] and seen["geometry"][2] > 0
    assert seen["tooltip"].startswith("today: 0 tok")
    assert seen["menu_shown"]
    assert seen["menu"][0] == "Today: 0 tok · $0.00" and seen["menu"][1].startswith("This week: 356k tok")
    assert seen["menu"][3:] == ["Open Tokenmirror", "Scan now", "Export week…", "Import Cursor CSV…",
                                "Pause automatic imports", "Quit Tokenmirror"]
    assert seen["window_visible"] and seen["hidden_to_tray"]
