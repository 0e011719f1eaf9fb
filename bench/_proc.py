"""A process's own memory figures from /proc (Linux): what the benchmarks report as peak RSS."""

from __future__ import annotations

from pathlib import Path


def status_kb(pid: int) -> dict[str, int] | None:
    """{"VmRSS": kB, "VmHWM": kB} of a live process; None when it is gone or there is no /proc.
    VmHWM is the peak since its exec, unlike wait4's ru_maxrss, which starts at the forking
    process's own peak."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line[:5]] = int(line.split()[1])
    return out or None
