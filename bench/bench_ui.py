"""The window with a year of history: time to first paint, range-change redraw time, memory.

Budget (issue 6): window shown under 1.5 s with a year of data; a range change redraws under
100 ms; RSS under 300 MB. Runs offscreen; the year of data is the demo generator's (52 weeks of
Claude Code and Codex logs and four repositories), scanned into a fresh archive before timing.

Usage: python bench/bench_ui.py [--weeks 52]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tokenmirror-bench-ui-"))
    try:
        from desktop.demo import DEMO_EMAIL, build_demo
        from desktop.ingest import run_scan
        from desktop.commits.refresh import refresh_commits
        from desktop.paths import AppPaths
        from desktop.pricing import PriceTable
        from desktop.sources import SOURCES
        from desktop.store import Store

        started = time.perf_counter()
        env = build_demo(work / "home", weeks=args.weeks)
        paths = AppPaths.at(work / "data")
        paths.ensure()
        store = Store.open(paths.database)
        store.settings.set("identity_emails", [DEMO_EMAIL])
        summary = run_scan(store, SOURCES, env, PriceTable.load())
        commits = refresh_commits(store)
        events = store.conn.execute("SELECT count(*) FROM usage_event").fetchone()[0]
        store.close()
        print(f"data: {args.weeks} weeks, {events:,} calls, {commits.new_commits:,} commits "
              f"(built and scanned in {time.perf_counter() - started:.1f} s)")  # fmt: skip

        t0 = time.perf_counter()
        from PySide6.QtWidgets import QApplication

        app = QApplication([sys.argv[0]])
        from desktop.ui.app import TokenmirrorApp

        tm = TokenmirrorApp(paths, env, use_tray=False, watch=False)
        tm.window.show()
        app.processEvents()
        shown = time.perf_counter() - t0
        tm.window.reload_all()
        tm.tray.refresh()
        tm.settle()
        overview = tm.window.overview
        overview.set_range("year")
        overview.chart.flush()
        app.processEvents()
        painted = time.perf_counter() - t0
        print(f"window shown (first paint, empty pages): {shown * 1000:.0f} ms")
        print(f"window showing a year of data (queries done, chart drawn): {painted * 1000:.0f} ms")

        timings = []
        for kind in ("week", "month", "quarter", "year") * 5:
            t = time.perf_counter()
            overview.set_range(kind)
            overview.chart.flush()
            app.processEvents()
            timings.append((time.perf_counter() - t) * 1000)
        for by in ("model", "source") * 3:
            t = time.perf_counter()
            overview.set_grouping(by)
            overview.chart.flush()
            app.processEvents()
            timings.append((time.perf_counter() - t) * 1000)
        print(f"range or grouping change, redrawn: median {statistics.median(timings):.1f} ms, "
              f"max {max(timings):.1f} ms over {len(timings)} changes")  # fmt: skip
        t = time.perf_counter()
        tm.window.overview.reload()
        tm.settle()
        print(f"full reload of a year from the archive (off the GUI thread): {(time.perf_counter() - t) * 1000:.0f} ms")
        print(f"RSS: {rss_mb():.0f} MB")
        tm.shutdown()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown: PySide6 and pyqtgraph may crash freeing widgets in random order
