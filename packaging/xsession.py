"""A throwaway X display with a window manager that has a system tray: Xvfb + jwm.

Used by the tray tests and `make screenshots`. Xvfb picks a free display itself (-displayfd),
so parallel runs never collide; both processes are ended when the block exits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

JWMRC = """<?xml version="1.0"?>
<JWM>
  <Tray x="0" y="-1" height="30" autohide="off">
    <Spacer width="8"/>
    <Pager/>
    <TaskList maxwidth="240"/>
    <Dock/>
    <Clock format="%H:%M"/>
  </Tray>
  <TrayStyle><Font>DejaVu Sans-10</Font><Background>#2b2f36</Background><Foreground>#e8eaed</Foreground></TrayStyle>
  <WindowStyle><Font>DejaVu Sans-10:bold</Font><Active><Background>#3b4a61</Background><Foreground>#ffffff</Foreground></Active></WindowStyle>
  <Desktops width="1" height="1"><Background type="solid">#4a5a70</Background></Desktops>
</JWM>
"""


def available() -> bool:
    return bool(shutil.which("Xvfb") and shutil.which("jwm"))


@contextmanager
def x_session(width: int = 1280, height: int = 800) -> Iterator[dict[str, str]]:
    """Yields the environment variables a child process needs to use the display (DISPLAY, HOME for jwm)."""
    workdir = Path(tempfile.mkdtemp(prefix="tokenmirror-x-"))
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp",
                             "-noreset"], pass_fds=[write_fd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write_fd)
    wm = None
    try:
        number = b""
        with os.fdopen(read_fd, "rb") as pipe:  # Xvfb writes the display number once it accepts clients
            while not number.endswith(b"\n"):
                part = pipe.read(1)
                if not part:
                    raise RuntimeError("Xvfb did not start")
                number += part
        rc = workdir / "jwmrc"
        rc.write_text(JWMRC)
        env = {"DISPLAY": f":{number.decode().strip()}", "XDG_RUNTIME_DIR": str(workdir)}
        wm = subprocess.Popen(["jwm", "-f", str(rc)], env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
        yield env
    finally:
        for process in (wm, xvfb):
            if process is not None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(workdir, ignore_errors=True)
