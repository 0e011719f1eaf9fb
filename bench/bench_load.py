"""Load: a big history (5 GB, 50,000 files) scanned by the CLI and by the app; memory and GUI stalls.

    python bench/bench_load.py [--size-gb 5] [--files 50000] [--work DIR] [--keep]

Targets (issue 9, Load): the scan finishes with peak RSS under 300 MB, and the GUI thread is never
blocked more than 50 ms while the app scans.

1. Corpus: bench/corpus.py writes a fake HOME of Claude Code and Codex logs with a forced file
   count, and the totals a correct reader reports. A --work folder that already holds one (same
   size, files and seed) is reused.
2. CLI cold scan, in a subprocess with HOME, XDG_* and TZ=UTC pointed at the fake HOME. The CLI runs
   inside a small wrapper (`python -c`, the same `desktop.cli.main` the console script calls) that
   reads, after the scan, the process's own peak (VmHWM: the main process, which plans, receives
   the parsed chunks and writes SQLite) and its getrusage (RUSAGE_SELF, and RUSAGE_CHILDREN: the
   largest reaped child, i.e. the `spawn` parse workers). On Linux a child's ru_maxrss starts at
   its parent's RSS when it was spawned, so RUSAGE_CHILDREN is at least the main process's RSS at
   that moment; each worker's own peak is therefore taken from /proc (VmHWM, polled from outside),
   as is the largest RSS and PSS of the whole process tree at one instant. Then
   `report daily --json --by-model --tz UTC` is checked against the expected totals.
3. GUI: the app (`run_app`, as `tokenmirror app` starts it) offscreen in a subprocess, on a fresh
   archive, same HOME. A 10 ms QTimer on the GUI thread records every gap between ticks from the
   start of the event loop through the first (cold) scan, until the app is idle again after it;
   the scan's end is the Scanner's `finished` signal. Run "idle" leaves the window alone; run
   "ranges" also clicks the Overview's range picker every 500 ms (Week, Month, Quarter, Year),
   during the scan and for 15 s after it. To say why the GUI thread stalled:
   - a watchdog thread writes every thread's Python stack when no tick came for 50 ms (again every
     50 ms while the stall lasts); it needs the GIL, so a stall caused by a long hold is sampled when
     the hold ends. --faulthandler samples without the GIL instead (faulthandler.dump_traceback_later),
     which catches a thread in the middle of the hold but reads running threads' frames unlocked:
     it crashed the app (SIGSEGV) in 2 of 18 runs here;
   - gc.callbacks time every collection of 5 ms or more and every full one (a collection holds the
     GIL: no other thread runs Python meanwhile), with the thread and frame that triggered it;
   - from outside, /proc/<pid>/task/*/schedstat every 10 ms splits each stall into the GUI
     thread's time on a CPU, runnable without a CPU, and asleep (on the GIL or a lock), and says
     which other threads ran meanwhile;
   - the app's RSS and live Python allocations (pymalloc blocks) every second.
4. A table on stdout, everything in JSON (--out), and optionally the figures as Markdown (--markdown).

Needs the app's venv (--python, default .venv/bin/python) for steps 2 and 3; the script itself runs
on any Python 3.11. Disk: the corpus plus about 40% of it per archive.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._proc import status_kb  # noqa: E402  (after the path: this file also runs as a script)

GB = 1e9
MB = 1e6
STALL_MS = 50.0
RANGE_KINDS = ("week", "month", "quarter", "year")
GUI_RUNS = ("idle", "ranges")
_WRAP_CLI = "import sys; sys.path.insert(0, {repo!r}); from bench.bench_load import cli_in_process; " \
            "sys.exit(cli_in_process(sys.argv[1], sys.argv[2:]))"  # fmt: skip
_WRAP_GUI = "import sys; sys.path.insert(0, {repo!r}); from bench.bench_load import gui_in_process; " \
            "gui_in_process(sys.argv[1])"  # fmt: skip


class StepFailed(Exception):
    """A step could not run; the message says why in one line, the results keep what was measured."""


# --- the machine ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu_count": os.cpu_count(), "cpu_model": cpu or platform.processor(),
            "mem_total_gib": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
            "platform": platform.platform(), "python": platform.python_version()}  # fmt: skip


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the app's code differs from it."""
    def git(*argv: str) -> str:
        try:
            return subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s")[:100],
            "desktop_modified": bool(git("status", "--porcelain", "--", "desktop"))}  # fmt: skip


def load_now(busy_sample_s: float = 1.0) -> dict[str, Any]:
    """Load averages, and how busy the CPUs were over the next second (other processes included)."""
    out: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        out["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        out["loadavg"] = None
    a = _cpu_times()
    if a is not None and busy_sample_s > 0:
        time.sleep(busy_sample_s)
        b = _cpu_times()
        if b is not None and b[1] > a[1]:
            out["cpu_busy_pct"] = round(100 * (b[0] - a[0]) / (b[1] - a[1]), 1)
    return out


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


# --- memory of a process tree, from outside ------------------------------------------------------


def _pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        try:
            out[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (IndexError, ValueError):
            continue
    return out


def _kind(pid: int, root: int, scan_child: bool = False, parent: int | None = None) -> str:
    """`scan_child`: the root is the app, whose scans run in a spawned child (desktop/scan_process.py)
    that starts the parse workers; in a CLI run the root's spawned children are the workers."""
    if pid == root:
        return "main"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "spawn_main" in cmd:  # the app's own scan process is a spawned child of the app; workers are its children
        return "scan process" if scan_child and parent == root else "parse worker"
    return "other: " + cmd[:60]


class TreeSampler(threading.Thread):
    """Polls /proc every `every` seconds: each process's peak RSS (VmHWM) in the tree under `root`,
    and the largest sum of RSS (and of PSS, which splits shared pages) at one instant."""

    def __init__(self, root: int, every: float = 0.2, pss_every: int = 5, scan_child: bool = False) -> None:
        super().__init__(daemon=True, name="tree-sampler")
        self.root = root
        self.scan_child = scan_child
        self.every = every
        self.pss_every = pss_every
        self.procs: dict[int, dict[str, Any]] = {}
        self.peak_tree_rss_kb = 0
        self.peak_tree_pss_kb = 0
        self.samples = 0
        self.started_at = time.perf_counter()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def tree(self) -> list[tuple[int, int | None]]:
        """(pid, parent pid) of every process under the root, the root first."""
        children: dict[int, list[int]] = {}
        for pid, ppid in _parents().items():
            children.setdefault(ppid, []).append(pid)
        out, todo = [], [(self.root, None)]
        while todo:
            pid, parent = todo.pop()
            out.append((pid, parent))
            todo.extend((child, pid) for child in children.get(pid, []))
        return out

    def sample(self) -> None:
        self.samples += 1
        now = round(time.perf_counter() - self.started_at, 2)
        rss = pss = 0
        with_pss = self.samples % self.pss_every == 1
        for pid, parent in self.tree():
            st = status_kb(pid)
            if st is None:
                continue
            rec = self.procs.get(pid)
            if rec is None:
                kind = _kind(pid, self.root, self.scan_child, parent)
                rec = self.procs[pid] = {"pid": pid, "kind": kind, "hwm_kb": 0, "first_s": now}
            rec["hwm_kb"] = max(rec["hwm_kb"], st.get("VmHWM", 0))
            rec["last_s"] = now
            rss += st.get("VmRSS", 0)
            if with_pss:
                pss += _pss_kb(pid) or 0
        self.peak_tree_rss_kb = max(self.peak_tree_rss_kb, rss)
        self.peak_tree_pss_kb = max(self.peak_tree_pss_kb, pss)

    def report(self) -> dict[str, Any]:
        procs = sorted(self.procs.values(), key=lambda r: (r["kind"] != "main", r["first_s"], r["pid"]))
        workers = [r for r in procs if r["kind"] == "parse worker"]
        main = next((r for r in procs if r["kind"] == "main"), None)
        scan = next((r for r in procs if r["kind"] == "scan process"), None)
        return {
            "main_peak_mb": _kb_mb(main["hwm_kb"]) if main else None,
            "scan_process_peak_mb": _kb_mb(scan["hwm_kb"]) if scan else None,
            "worker_peaks_mb": [_kb_mb(r["hwm_kb"]) for r in workers],
            "sum_of_peaks_mb": _kb_mb(sum(r["hwm_kb"] for r in procs if r["kind"] in ("main", "scan process", "parse worker"))),
            "peak_tree_rss_mb": _kb_mb(self.peak_tree_rss_kb),
            "peak_tree_pss_mb": _kb_mb(self.peak_tree_pss_kb),
            "processes": [{**r, "hwm_mb": _kb_mb(r["hwm_kb"])} for r in procs],
            "samples": self.samples,
            "every_s": self.every,
        }


class ThreadClock(threading.Thread):
    """Every `every` seconds, each thread's on-CPU and waiting-for-a-CPU time (/proc/.../schedstat) in
    the process `pid`: during a GUI stall, the GUI thread either ran (its own work), sat runnable
    with no free CPU, or slept (on the GIL, a lock, or idle); what the other threads ran meanwhile
    says who had the CPUs and the GIL."""

    def __init__(self, pid: int, every: float = 0.01) -> None:
        super().__init__(daemon=True, name="thread-clock")
        self.pid = pid
        self.every = every
        self.times: list[float] = []
        self.cpu: list[tuple[int, int]] = []  # machine-wide (busy, total) jiffies
        self.threads: dict[int, dict[str, Any]] = {}  # tid -> comm, first sample index, run ns, wait ns
        self._halt = threading.Event()

    def run(self) -> None:
        tids: list[int] = []
        listed = 0.0
        while not self._halt.is_set():
            now = time.perf_counter()
            if now - listed >= 0.25:
                try:
                    tids = [int(t) for t in os.listdir(f"/proc/{self.pid}/task")]
                except OSError:
                    return
                listed = now
            index = len(self.times)
            self.times.append(now)
            self.cpu.append(_cpu_times() or (0, 0))
            for tid in tids:
                try:
                    run_ns, wait_ns = (int(x) for x in Path(f"/proc/{self.pid}/task/{tid}/schedstat").read_text().split()[:2])
                except (OSError, ValueError):
                    continue
                rec = self.threads.get(tid)
                if rec is None:
                    try:
                        comm = Path(f"/proc/{self.pid}/task/{tid}/comm").read_text().strip()
                    except OSError:
                        comm = "?"
                    rec = self.threads[tid] = {"comm": comm, "start": index, "run": array("q"), "wait": array("q")}
                while rec["start"] + len(rec["run"]) < index:  # missed samples: repeat the last value
                    rec["run"].append(rec["run"][-1] if rec["run"] else run_ns)
                    rec["wait"].append(rec["wait"][-1] if rec["wait"] else wait_ns)
                rec["run"].append(run_ns)
                rec["wait"].append(wait_ns)
            self._halt.wait(max(0.0, self.every - (time.perf_counter() - now)))

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def _at(self, rec: dict[str, Any], key: str, index: int) -> int | None:
        values = rec[key]
        if not values or index < rec["start"]:
            return None
        return values[min(index - rec["start"], len(values) - 1)]

    def window(self, start: float, end: float, main_tid: int) -> dict[str, Any] | None:
        """What happened between two perf_counter instants (widened to the samples around them)."""
        import bisect

        i0 = max(bisect.bisect_right(self.times, start) - 1, 0)
        i1 = min(bisect.bisect_left(self.times, end), len(self.times) - 1)
        if i1 <= i0:
            return None
        span_ms = (self.times[i1] - self.times[i0]) * 1000
        out: dict[str, Any] = {"span_ms": round(span_ms, 1), "others": {}}
        for tid, rec in self.threads.items():
            a_run, b_run = self._at(rec, "run", i0), self._at(rec, "run", i1)
            a_wait, b_wait = self._at(rec, "wait", i0), self._at(rec, "wait", i1)
            if None in (a_run, b_run, a_wait, b_wait):
                continue
            run_ms, wait_ms = (b_run - a_run) / 1e6, (b_wait - a_wait) / 1e6
            if tid == main_tid:
                out["gui_run_ms"], out["gui_wait_cpu_ms"] = round(run_ms, 1), round(wait_ms, 1)
                out["gui_sleep_ms"] = round(max(span_ms - run_ms - wait_ms, 0.0), 1)
            elif run_ms > 0.5:
                out["others"][f"{rec['comm']}/{tid}"] = round(run_ms, 1)
        (b0, t0), (b1, t1) = self.cpu[i0], self.cpu[i1]
        out["machine_busy_pct"] = round(100 * (b1 - b0) / (t1 - t0), 0) if t1 > t0 else None
        return out if "gui_run_ms" in out else None


def _kb_mb(kb: float) -> float:
    return round(kb / 1024, 1)


def own_peak_mb() -> float | None:
    """This process's peak RSS since its exec (VmHWM). Unlike ru_maxrss it does not start from the
    parent's RSS: Linux carries the pre-exec high-water mark (the parent's pages, shared after fork)
    into a child's ru_maxrss, so RUSAGE_SELF of a child of a big process, and RUSAGE_CHILDREN of any
    process, are at least the RSS of whoever spawned them at that moment."""
    st = status_kb(os.getpid())
    return _kb_mb(st["VmHWM"]) if st and "VmHWM" in st else None


# --- step 1: the corpus --------------------------------------------------------------------------


def corpus(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from bench.corpus import EXPECTED, STATE, generate

    home = work / "home"
    marker = work / "corpus.json"
    params = {"target_bytes": int(args.size_gb * GB), "files": args.files, "seed": args.seed}
    if (home / EXPECTED).exists():
        if marker.exists():
            info = json.loads(marker.read_text())
            if info.get("params") != params:
                raise StepFailed(f"{work} holds a corpus made with {info.get('params')}, not {params}: "
                                 f"pass another --work, or delete {home} and {marker}")  # fmt: skip
            return {**info, "reused": True}
        nbytes, nfiles = _walk_size(home)  # made by bench/run.py or by hand: its parameters are unknown
        return {"params": None, "bytes": nbytes, "files": nfiles, "seconds": None, "reused": True}
    for name in (".claude", ".codex", STATE):  # an interrupted generation: expected.json comes last
        target = home / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    need = params["target_bytes"] * 1.1 + 2 * 0.4 * params["target_bytes"]
    free = shutil.disk_usage(work).free
    if free < need:
        raise StepFailed(f"{work} has {free / GB:.1f} GB free; the corpus and two archives need about {need / GB:.1f} GB")
    print(f"generating {args.size_gb:g} GB in {args.files:,} files under {home} ...", flush=True)
    started = time.perf_counter()
    gen = generate(home, params["target_bytes"], seed=args.seed, files=args.files)
    seconds = time.perf_counter() - started
    info = {
        "params": params, "bytes": sum(gen["bytes"].values()), "files": sum(gen["files"].values()),
        "by_source": {s: {"bytes": gen["bytes"][s], "files": gen["files"][s]} for s in gen["bytes"]},
        "seconds": round(seconds, 1), "events": gen["totals"]["events"],
        "total_tokens": gen["totals"]["total_tokens"], "rows": len(gen["rows"]),
        "made": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }  # fmt: skip
    marker.write_text(json.dumps(info, indent=1) + "\n")
    return {**info, "reused": False}


def _walk_size(root: Path) -> tuple[int, int]:
    nbytes = nfiles = 0
    for path in root.rglob("*.jsonl"):
        nbytes += path.stat().st_size
        nfiles += 1
    return nbytes, nfiles


def _dir_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# --- running a child with its tree watched -------------------------------------------------------


class Watched:
    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path, log_prefix: Path, timeout: float,
                 clock: bool = False, scan_child: bool = False) -> None:  # fmt: skip
        self.cmd, self.env, self.cwd, self.timeout = cmd, env, cwd, timeout
        self.scan_child = scan_child
        self.clock: ThreadClock | None = None
        self._want_clock = clock
        self.out_path, self.err_path = log_prefix.with_suffix(".stdout"), log_prefix.with_suffix(".stderr")
        self.seconds = 0.0
        self.pid = 0
        self.rc: int | None = None
        self.wait4_maxrss_mb: float | None = None
        self.timed_out = False
        self.tree: dict[str, Any] = {}
        self.parent_rss_mb: float | None = None

    def run(self) -> Watched:
        st = status_kb(os.getpid())
        self.parent_rss_mb = _kb_mb(st["VmRSS"]) if st and "VmRSS" in st else None
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            started = time.perf_counter()
            proc = subprocess.Popen(self.cmd, stdout=out, stderr=err, env=self.env, cwd=self.cwd,
                                    start_new_session=True)  # fmt: skip
            self.pid = proc.pid
            sampler = TreeSampler(proc.pid, scan_child=self.scan_child)
            sampler.start()
            if self._want_clock:
                self.clock = ThreadClock(proc.pid)
                self.clock.start()
            timer = threading.Timer(self.timeout, self._kill, (proc.pid,))
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            except BaseException:  # interrupted: its own session does not get the Ctrl+C; stop it here
                self._kill(proc.pid)
                os.waitpid(proc.pid, 0)
                raise
            finally:
                timer.cancel()
                sampler.stop()
                if self.clock is not None:
                    self.clock.stop()
            self.seconds = time.perf_counter() - started
            proc.returncode = self.rc = os.waitstatus_to_exitcode(status)
            self.wait4_maxrss_mb = round(usage.ru_maxrss / 1024, 1)
            self.tree = sampler.report()
        return self

    def _kill(self, pid: int) -> None:
        self.timed_out = True
        try:
            os.killpg(pid, signal.SIGKILL)  # its own session: the parse workers go too
        except OSError:
            pass

    def tail(self, n: int = 6) -> str:
        text = self.err_path.read_text(errors="replace") or self.out_path.read_text(errors="replace")
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        return " | ".join(lines[-n:]) if lines else "(no output)"


# --- step 2: the CLI -----------------------------------------------------------------------------


def cli_in_process(out: str, argv: list[str]) -> int:
    """Runs in the CLI's own process (see _WRAP_CLI): the scan, then this process's rusage."""
    import resource

    from desktop.cli import main

    started = time.perf_counter()
    rc = main(argv)
    seconds = time.perf_counter() - started
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out).write_text(json.dumps({
        "rc": rc, "seconds_inside": round(seconds, 3), "vmhwm_mb": own_peak_mb(),
        "self_maxrss_mb": round(me.ru_maxrss / 1024, 1), "children_maxrss_mb": round(kids.ru_maxrss / 1024, 1),
        "self_cpu_s": round(me.ru_utime + me.ru_stime, 1), "children_cpu_s": round(kids.ru_utime + kids.ru_stime, 1),
    }))  # fmt: skip
    return rc


def cli_scan(args: argparse.Namespace, work: Path, info: dict[str, Any], results: dict, table: list) -> None:
    from bench.run import Bench, diff_reports
    from bench.corpus import EXPECTED

    home, data = work / "home", work / "cli-data"
    shutil.rmtree(data, ignore_errors=True)
    bench = Bench(argparse.Namespace(tm=str(args.tm), timeout=args.timeout), work)
    usage_json = work / "cli-rusage.json"
    usage_json.unlink(missing_ok=True)
    cmd = [str(args.python), "-c", _WRAP_CLI.format(repo=str(REPO)), str(usage_json), "--data-dir", str(data), "scan"]
    load = load_now(0)
    child = Watched(cmd, bench.env(home), work, work / "cli-scan", args.timeout).run()
    if child.timed_out:
        raise StepFailed(f"the CLI scan did not finish in {args.timeout:.0f} s")
    if child.rc != 0 or not usage_json.exists():
        raise StepFailed(f"`tokenmirror scan` exited {child.rc}: {child.tail()}")
    usage = json.loads(usage_json.read_text())
    nbytes = info["bytes"]
    tree = child.tree
    workers = tree["worker_peaks_mb"] or []
    main_mb = usage["vmhwm_mb"] if usage.get("vmhwm_mb") is not None else usage["self_maxrss_mb"]
    cold = {
        "seconds": round(child.seconds, 2), "mb_per_s": round(nbytes / MB / child.seconds, 1),
        "main_peak_rss_mb": main_mb, "worker_peaks_rss_mb": workers,
        "largest_worker_peak_rss_mb": max(workers) if workers else None,
        "sum_main_and_workers_mb": round(main_mb + sum(workers), 1),
        "peak_tree_rss_mb": tree["peak_tree_rss_mb"], "peak_tree_pss_mb": tree["peak_tree_pss_mb"],
        "rusage": {"self_maxrss_mb": usage["self_maxrss_mb"], "children_maxrss_mb": usage["children_maxrss_mb"],
                   "wait4_maxrss_mb": child.wait4_maxrss_mb, "bench_rss_at_spawn_mb": child.parent_rss_mb,
                   "note": "ru_maxrss of a child starts at its parent's RSS when it was spawned (Linux keeps the "
                           "pre-exec high-water mark), so RUSAGE_CHILDREN >= the main process's RSS when the pool "
                           "started, and RUSAGE_SELF >= this benchmark's RSS; the *_peak_rss_mb figures are VmHWM, "
                           "each process's own peak after exec"},
        "cpu_s": {"main": usage["self_cpu_s"], "workers": usage["children_cpu_s"]},
        "archive_mb": round(_dir_size(data) / MB, 1), "load_at_start": load, "load_at_end": load_now(0),
        "summary": child.out_path.read_text(errors="replace").strip().splitlines()[-3:], "processes": tree["processes"],
    }  # fmt: skip
    results["cli_cold_scan"] = cold
    table.append(("CLI cold scan", f"{child.seconds:.1f} s", f"{nbytes / MB / child.seconds:.0f}",
                  f"{len(workers)} parse workers; CPU main {usage['self_cpu_s']:.0f} s, workers "
                  f"{usage['children_cpu_s']:.0f} s; archive {cold['archive_mb']:.0f} MB"))  # fmt: skip
    table.append(("  peak RSS, main process", f"{main_mb:.0f} MB", "",
                  "VmHWM: plans, receives parsed chunks from the workers, writes SQLite"))
    table.append(("  peak RSS, each parse worker", " / ".join(f"{w:.0f}" for w in workers) + " MB" if workers else "n/a",
                  "", f"VmHWM polled every {tree['every_s']} s; RUSAGE_CHILDREN says {usage['children_maxrss_mb']:.0f} MB "
                  "(includes the main's RSS at spawn)"))  # fmt: skip
    table.append(("  main + workers", f"{cold['sum_main_and_workers_mb']:.0f} MB", "",
                  f"sum of peaks; largest tree RSS at one instant {tree['peak_tree_rss_mb']:.0f} MB, "
                  f"PSS {tree['peak_tree_pss_mb']:.0f} MB (PSS polled every 1 s)"))  # fmt: skip

    expected = json.loads((home / EXPECTED).read_text())
    report, seconds = bench.report(home, data)
    diffs = diff_reports(expected, report)
    results["cli_report_check"] = {"pass": not diffs, "differences": diffs, "seconds": round(seconds, 2),
                                   "events": expected["totals"]["events"],
                                   "total_tokens": expected["totals"]["total_tokens"]}  # fmt: skip
    notes = (f"{expected['totals']['events']:,} calls, {expected['totals']['total_tokens']:,} tokens, "
             f"{len(expected['rows'])} rows" if not diffs else diffs[0])  # fmt: skip
    table.append(("  report --by-model vs expected", "PASS" if not diffs else "FAIL", "", notes))


# --- step 3: the app -----------------------------------------------------------------------------


def gui_in_process(config_path: str) -> None:
    """Runs in the app's own process (see _WRAP_GUI): run_app with a heartbeat on the GUI thread."""
    cfg = json.loads(Path(config_path).read_text())
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import faulthandler
    import gc
    import resource

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    t0 = time.perf_counter()
    app = QApplication(["tokenmirror"])  # run_app takes this instance; the heartbeat needs it first
    import desktop.ui.app as ui_app
    from desktop.paths import AppPaths

    stacks = open(cfg["stacks"], "w")  # noqa: SIM115 - the samplers write to its fd until the end
    faulthandler.enable(file=stacks, all_threads=True)  # a crash leaves its stacks there too
    out: dict[str, Any] = {"main_thread": threading.main_thread().ident, "t0": t0, "errors": [],
                           "range_changes_ms": [], "phases": {}, "timed_out": False}  # fmt: skip
    gaps: list[tuple[float, float, str]] = []
    state: dict[str, Any] = {"phase": "start", "last": None, "progress": None, "tm": None, "kind": 0,
                             "quiet_since": None, "after_started": None}  # fmt: skip
    stall_s = cfg["stall_ms"] / 1000

    def note(text: str) -> None:
        stacks.flush()
        os.write(stacks.fileno(), (text + "\n").encode())

    def set_phase(name: str) -> None:
        state["phase"] = name
        out["phases"][name] = round(time.perf_counter() - t0, 3)
        note(f"# phase {name} t={time.perf_counter() - t0:.3f}")
        sample_memory()

    def tick() -> None:
        now = time.perf_counter()
        last = state["last"]
        if last is None:
            out["first_tick_s"] = round(now - t0, 3)
        else:
            gap = (now - last) * 1000
            gaps.append((round(now - t0, 3), round(gap, 2), state["phase"]))
            if gap > cfg["stall_ms"]:
                p = state["progress"]
                where = f" file={p.files_done}/{p.files_total} source={p.source}" if p is not None else ""
                note(f"# stall t={now - t0:.3f} gap={gap:.1f} phase={state['phase']}{where}")
        state["last"] = now
        if cfg["sampler"] == "faulthandler":
            faulthandler.dump_traceback_later(stall_s, repeat=True, file=stacks)

    watchdog_stop = threading.Event()

    def watchdog() -> None:
        """Every 10 ms: if the GUI thread has not ticked for 50 ms, write every thread's stack (again
        every 50 ms while the stall lasts). It needs the GIL, so it samples a stall caused by a long
        hold (a collection) only when the hold ends, the holder still at the frame that triggered it."""
        me = threading.get_ident()
        dumped = 0.0
        while not watchdog_stop.wait(0.01):
            last, now = state["last"], time.perf_counter()
            if last is None or now - last <= stall_s or now - dumped < stall_s:
                continue
            dumped = now
            lines = [f"Timeout (watchdog, {(now - last) * 1000:.0f} ms without a tick)!"]
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                lines.append(f"Thread 0x{ident:016x} (most recent call first):")
                while frame is not None:
                    lines.append(f'  File "{frame.f_code.co_filename}", line {frame.f_lineno} in {frame.f_code.co_name}')
                    frame = frame.f_back
                lines.append("")
            note("\n".join(lines))

    if cfg["sampler"] == "watchdog":
        threading.Thread(target=watchdog, name="stall-watchdog", daemon=True).start()

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(cfg["tick_ms"])
    heartbeat.timeout.connect(tick)
    heartbeat.start()

    gc_events: list[tuple] = []  # (t, ms, generation, collected, thread class, native id, frame that allocated)
    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        """A collection holds the GIL from start to stop: no other thread runs Python meanwhile."""
        if phase == "start":
            gc_started[threading.get_ident()] = time.perf_counter()
            return
        began = gc_started.pop(threading.get_ident(), None)
        if began is None:
            return
        ms = (time.perf_counter() - began) * 1000
        if info["generation"] == 2 or ms >= 5:
            frame = sys._getframe(1)
            where = f"{_short(frame.f_code.co_filename, REPO)}:{frame.f_lineno} {frame.f_code.co_name}"
            thread = threading.current_thread()
            gc_events.append((round(began - t0, 3), round(ms, 1), info["generation"], info["collected"],
                              "GUI" if thread is threading.main_thread() else type(thread).__name__,
                              threading.get_native_id(), where))  # fmt: skip

    gc.callbacks.append(on_gc)
    memory: list[tuple] = []  # (t, RSS MB, live pymalloc blocks, gc counts, phase)

    def sample_memory() -> None:
        st = status_kb(os.getpid()) or {}
        memory.append((round(time.perf_counter() - t0, 2), _kb_mb(st.get("VmRSS", 0)), sys.getallocatedblocks(),
                       gc.get_count(), state["phase"]))  # fmt: skip

    memory_timer = QTimer()
    memory_timer.setInterval(1000)
    memory_timer.timeout.connect(sample_memory)
    memory_timer.start()

    def change_range() -> None:
        tm = state["tm"]
        if tm is None:
            return
        kind = RANGE_KINDS[state["kind"] % len(RANGE_KINDS)]
        state["kind"] += 1
        started = time.perf_counter()
        try:
            tm.window.overview.range_picker.choose(kind)  # a click on the segment, as a user would
        except Exception as exc:  # noqa: BLE001 - recorded, not raised into the app's bug dialog
            out["errors"].append(f"range change: {exc!r}")
            ranges.stop()
            return
        out["range_changes_ms"].append((round(started - t0, 3), round((time.perf_counter() - started) * 1000, 2),
                                        state["phase"]))  # fmt: skip

    ranges = QTimer()
    ranges.setInterval(cfg["range_every_ms"] or 500)
    ranges.timeout.connect(change_range)

    def finish(reason: str) -> None:
        out["end"] = reason
        set_phase("end")
        ranges.stop()
        QApplication.quit()

    def on_progress(progress: Any) -> None:
        state["progress"] = progress
        out["progress_events"] = out.get("progress_events", 0) + 1

    def on_finished(result: Any) -> None:
        if "scan_done_s" in out:
            return  # a later scan (the watcher or the sweep asked): the first one is what is measured
        out["scan_done_s"] = round(time.perf_counter() - t0, 3)
        out["events_added"] = result.summary.events_added
        out["scan_summary_seconds"] = round(result.summary.seconds, 2)
        set_phase("after")
        state["after_started"] = time.perf_counter()
        idle.start()

    def on_failed(text: str) -> None:
        out["errors"].append(f"scan failed: {text}")
        finish("scan failed")

    def check_idle() -> None:
        tm = state["tm"]
        now = time.perf_counter()
        since = now - state["after_started"]
        if cfg["range_every_ms"] and since >= cfg["after_ranges_s"] and ranges.isActive():
            ranges.stop()
        if tm.tasks.busy or tm.scanner.running or ranges.isActive():
            state["quiet_since"] = None
        elif state["quiet_since"] is None:
            state["quiet_since"] = now
        if state["quiet_since"] is not None and now - state["quiet_since"] >= cfg["quiet_s"]:
            idle.stop()
            finish("idle after the scan")
        elif since > cfg["after_max_s"]:
            idle.stop()
            finish("still busy after the scan: gave up waiting")

    idle = QTimer()
    idle.setInterval(100)
    idle.timeout.connect(check_idle)

    def on_timeout() -> None:
        out["timed_out"] = True
        finish("timeout")

    class Probed(ui_app.TokenmirrorApp):
        def start(self, show_window: bool = True) -> None:
            state["tm"] = self
            self.scanner.started.connect(lambda: set_phase("scan") if "scan" not in out["phases"] else None)
            self.scanner.progressed.connect(on_progress)
            self.scanner.finished.connect(on_finished)
            self.scanner.failed.connect(on_failed)
            set_phase("app start")
            super().start(show_window)
            if cfg["range_every_ms"]:
                ranges.start()
            QTimer.singleShot(int(cfg["timeout_s"] * 1000), on_timeout)

    ui_app.TokenmirrorApp = Probed  # run_app builds this one; nothing else of the app changes
    code = ui_app.run_app(AppPaths.at(Path(cfg["data"])))
    faulthandler.cancel_dump_traceback_later()
    watchdog_stop.set()
    heartbeat.stop()
    gc.callbacks.remove(on_gc)
    sample_memory()
    out["gc"] = gc_events
    out["memory"] = memory
    out["gc_objects_at_end"] = len(gc.get_objects())
    out["rc"] = code
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    out["vmhwm_mb"] = own_peak_mb()
    out["self_maxrss_mb"] = round(me.ru_maxrss / 1024, 1)
    out["children_maxrss_mb"] = round(kids.ru_maxrss / 1024, 1)
    out["self_cpu_s"] = round(me.ru_utime + me.ru_stime, 1)
    out["tick_ms"] = cfg["tick_ms"]
    Path(cfg["gaps"]).write_text(json.dumps(gaps))
    Path(cfg["out"]).write_text(json.dumps(out, default=str))
    stacks.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip interpreter teardown: PySide6 and pyqtgraph may crash freeing widgets in random order


def gui_run(args: argparse.Namespace, work: Path, name: str, results: dict, table: list) -> None:
    from bench.corpus import EXPECTED
    from bench.run import Bench, diff_reports

    home, data = work / "home", work / f"gui-{name}-data"
    shutil.rmtree(data, ignore_errors=True)
    bench = Bench(argparse.Namespace(tm=str(args.tm), timeout=args.timeout), work)
    files = {k: work / f"gui-{name}.{k}" for k in ("out", "gaps", "stacks", "config")}
    for path in files.values():
        path.unlink(missing_ok=True)
    cfg = {
        "data": str(data), "out": str(files["out"]), "gaps": str(files["gaps"]), "stacks": str(files["stacks"]),
        "tick_ms": args.tick_ms, "stall_ms": STALL_MS, "range_every_ms": args.range_every_ms if name == "ranges" else 0,
        "after_ranges_s": args.after_ranges_s, "quiet_s": 2.0, "after_max_s": 300.0, "timeout_s": args.gui_timeout,
        "sampler": "none" if args.no_stacks else "faulthandler" if args.faulthandler else "watchdog",
    }  # fmt: skip
    files["config"].write_text(json.dumps(cfg))
    cmd = [str(args.python), "-c", _WRAP_GUI.format(repo=str(REPO)), str(files["config"])]
    load = load_now(0)
    child = Watched(cmd, bench.env(home), work, work / f"gui-{name}", args.gui_timeout + 120,
                    clock=not args.no_clock, scan_child=True).run()  # fmt: skip
    if not files["out"].exists():
        raise StepFailed(f"the app ({name}) exited {child.rc} without results (a crash leaves its stacks in "
                         f"{files['stacks']}): {child.tail()}")  # fmt: skip
    out = json.loads(files["out"].read_text())
    gaps = json.loads(files["gaps"].read_text())
    stalls = parse_stacks(files["stacks"].read_text(errors="replace"), out["main_thread"])
    res: dict[str, Any] = {
        "rc": child.rc, "end": out.get("end"), "timed_out": out.get("timed_out"), "errors": out["errors"],
        "wall_s": round(child.seconds, 1), "first_tick_s": out.get("first_tick_s"), "phases_s": out["phases"],
        "scan_s": round(out["scan_done_s"] - out["phases"]["scan"], 1) if "scan_done_s" in out else None,
        "scan_summary_s": out.get("scan_summary_seconds"), "events_added": out.get("events_added"),
        "progress_events": out.get("progress_events", 0), "tick_ms": args.tick_ms,
        "rss": {"app_peak_mb": out["vmhwm_mb"], "worker_peaks_mb": child.tree["worker_peaks_mb"],
                "scan_process_peak_mb": child.tree["scan_process_peak_mb"],
                "peak_tree_rss_mb": child.tree["peak_tree_rss_mb"], "peak_tree_pss_mb": child.tree["peak_tree_pss_mb"],
                "rusage_self_mb": out["self_maxrss_mb"], "rusage_children_mb": out["children_maxrss_mb"],
                "wait4_mb": child.wait4_maxrss_mb},
        "load_at_start": load, "load_at_end": load_now(0), "archive_mb": round(_dir_size(data) / MB, 1),
    }  # fmt: skip
    res["gaps"] = {phase: gap_stats([g for _, g, p in gaps if p in phases])
                   for phase, phases in (("scan", ("scan",)), ("after", ("after",)), ("all", ("scan", "after", "app start")))}  # fmt: skip
    res["top_stalls"] = [{"t_s": t, "gap_ms": g, "phase": p} for t, g, p in sorted(gaps, key=lambda x: -x[1])[:15]]
    if child.clock is not None:
        res["stall_time"] = stall_time(child.clock, out["t0"], gaps, child_pid=child.pid)
        for stall in res["top_stalls"]:
            stall["threads"] = child.clock.window(out["t0"] + stall["t_s"] - stall["gap_ms"] / 1000,
                                                  out["t0"] + stall["t_s"], child.pid)  # fmt: skip
    if out["range_changes_ms"]:
        by_phase: dict[str, list[float]] = {}
        for _, ms, phase in out["range_changes_ms"]:
            by_phase.setdefault(phase, []).append(ms)
        res["range_changes"] = {p: {"n": len(v), "median_ms": round(_pct(v, 50), 1), "max_ms": round(max(v), 1)}
                                for p, v in by_phase.items()}  # fmt: skip
    res["culprits"] = culprits(stalls, REPO)
    res["culprits_at_quit"] = culprits(stalls, REPO, phases=("end",))
    res["gc"] = gc_summary(out.get("gc", []), gaps, out["phases"])
    res["memory"] = memory_summary(out.get("memory", []), out["phases"])
    res["gc_objects_at_end"] = out.get("gc_objects_at_end")
    if out.get("events_added") is not None:
        expected = json.loads((home / EXPECTED).read_text())
        report, _ = bench.report(home, data)
        diffs = diff_reports(expected, report)
        res["report_check"] = {"pass": not diffs, "differences": diffs}
    results[f"gui_{name}"] = res
    scan, after = res["gaps"]["scan"], res["gaps"]["after"]
    label = "GUI, cold scan" + (f", range change every {args.range_every_ms} ms" if name == "ranges" else ", idle window")
    status = res["end"] + (f"; errors: {res['errors'][0]}" if res["errors"] else "")
    table.append((label, f"{res['scan_s']} s" if res["scan_s"] is not None else "n/a", "",
                  f"{status}; report {'PASS' if res.get('report_check', {}).get('pass') else 'FAIL or n/a'}"))  # fmt: skip
    table.append(("  GUI gaps during the scan", f"max {scan['max_ms']:.0f} ms", "",
                  f"p99 {scan['p99_ms']:.0f} ms, {scan['over_50ms']} gaps > 50 ms ({scan['stalled_s']:.1f} s "
                  f"stalled) of {scan['n']:,} ticks"))  # fmt: skip
    if after["n"]:
        table.append(("  GUI gaps after it (pages reload)", f"max {after['max_ms']:.0f} ms", "",
                      f"p99 {after['p99_ms']:.0f} ms, {after['over_50ms']} gaps > 50 ms of {after['n']:,} ticks"))
    for phase, st in res.get("stall_time", {}).items():
        table.append((f"  GUI thread during gaps > 50 ms ({phase})", _dur(st["stalled_ms"]), "",
                      f"on a CPU {_dur(st['gui_run_ms'])}, runnable without a CPU {_dur(st['gui_wait_cpu_ms'])}, "
                      f"asleep (GIL/lock) {_dur(st['gui_sleep_ms'])}; CPUs {st['machine_busy_pct_mean']}% busy"))  # fmt: skip
    for phase, g in res["gc"].items():
        if g["full_collections"] or g["stalls"]:
            table.append((f"  full GCs ({phase})", f"{g['full_collections']} x {g['full_ms_median']:.0f} ms", "",
                          f"max {g['full_ms_max']:.0f} ms; {g['stalls_overlapping_gc']} of {g['stalls']} stalls > 50 ms "
                          f"overlap a collection ({_dur(g['gc_ms_inside_stalls'])} of GC inside them)"))  # fmt: skip
    mem = res["memory"]
    if "scan" in mem:
        after = mem.get("after", {})
        table.append(("  app RSS: scan start / end / after", f"{mem['scan']['rss_first_mb']:.0f} / "
                      f"{mem['scan']['rss_last_mb']:.0f} / {after.get('rss_max_mb', 0):.0f} MB", "",
                      f"max during the scan {mem['scan']['rss_max_mb']:.0f} MB at {mem['scan']['rss_max_at_s']:.0f} s; "
                      f"pymalloc blocks {mem['scan']['blocks_first']:,} -> {mem['scan']['blocks_max']:,}"))  # fmt: skip
    table.append(("  app start (GUI blocked before the loop)", f"{res['first_tick_s']:.2f} s", "",
                  "QApplication to first tick: archive open, window built, scan started"))
    if "range_changes" in res:
        rc = res["range_changes"]
        table.append(("  range change (synchronous part)", "", "",
                      "; ".join(f"{p}: median {v['median_ms']:.0f} ms, max {v['max_ms']:.0f} ms (n={v['n']})"
                                for p, v in rc.items())))  # fmt: skip
    r = res["rss"]
    scan_mb = r["scan_process_peak_mb"]
    table.append(("  peak RSS, app process", f"{r['app_peak_mb']:.0f} MB", "",
                  (f"scan process {scan_mb:.0f} MB; " if scan_mb is not None else "")
                  + (f"workers {' / '.join(f'{w:.0f}' for w in r['worker_peaks_mb'])} MB" if r["worker_peaks_mb"] else "no parse workers")
                  + "; tree at one instant "
                  f"{r['peak_tree_rss_mb']:.0f} MB RSS, {r['peak_tree_pss_mb']:.0f} MB PSS"))  # fmt: skip


def stall_time(clock: ThreadClock, t0: float, gaps: list, child_pid: int) -> dict[str, Any]:
    """Per phase, the GUI thread's time during gaps > 50 ms: on a CPU, runnable without one, or asleep
    (on the GIL or a lock: the event loop sleeping idle would have ticked); and who else ran."""
    out: dict[str, Any] = {}
    for phase in ("scan", "after"):
        total = {"stalls": 0, "stalled_ms": 0.0, "gui_run_ms": 0.0, "gui_wait_cpu_ms": 0.0, "gui_sleep_ms": 0.0}
        others: Counter[str] = Counter()
        busy: list[float] = []
        for t, gap, p in gaps:
            if p != phase or gap <= STALL_MS:
                continue
            w = clock.window(t0 + t - gap / 1000, t0 + t, child_pid)
            if w is None:
                continue
            total["stalls"] += 1
            total["stalled_ms"] += w["span_ms"]
            for k in ("gui_run_ms", "gui_wait_cpu_ms", "gui_sleep_ms"):
                total[k] += w[k]
            for who, ms in w["others"].items():
                others[who.split("/")[0] if not who.split("/")[0].startswith("python") else who] += ms
            if w["machine_busy_pct"] is not None:
                busy.append(w["machine_busy_pct"])
        if total["stalls"]:
            out[phase] = {**{k: round(v, 1) if isinstance(v, float) else v for k, v in total.items()},
                          "others_run_ms": [(k, round(v, 1)) for k, v in others.most_common(6)],
                          "machine_busy_pct_mean": round(sum(busy) / len(busy), 1) if busy else None}  # fmt: skip
    return out


def _phase_at(t: float, phases: dict[str, float]) -> str:
    current = "start"
    for name, at in sorted(phases.items(), key=lambda kv: kv[1]):
        if t >= at:
            current = name
    return current


def gc_summary(events: list, gaps: list, phases: dict[str, float]) -> dict[str, Any]:
    """Collections per phase, and how many GUI stalls a collection overlapped (it holds the GIL)."""
    out: dict[str, Any] = {}
    for phase in ("scan", "after"):
        mine = [e for e in events if _phase_at(e[0], phases) == phase]
        full = [e for e in mine if e[2] == 2]
        stalls = [(t - g / 1000, t, g) for t, g, p in gaps if p == phase and g > STALL_MS]
        hit = 0
        gc_ms_in_stalls = 0.0
        for start, end, _ in stalls:
            overlap = sum(max(0.0, min(end, e[0] + e[1] / 1000) - max(start, e[0])) for e in mine)
            if overlap > 0.02:  # a collection of 20 ms or more of this stall
                hit += 1
                gc_ms_in_stalls += overlap * 1000
        where: Counter[str] = Counter()
        for e in full:
            where[f"{e[4]} thread, allocating in {e[6]}"] += 1
        out[phase] = {
            "full_collections": len(full), "full_ms_total": round(sum(e[1] for e in full), 1),
            "full_ms_max": round(max((e[1] for e in full), default=0.0), 1),
            "full_ms_median": round(_pct([e[1] for e in full], 50), 1),
            "young_collections_over_5ms": sum(1 for e in mine if e[2] < 2),
            "stalls": len(stalls), "stalls_overlapping_gc": hit, "gc_ms_inside_stalls": round(gc_ms_in_stalls, 1),
            "full_by_where": where.most_common(6),
            "full": [{"t_s": e[0], "ms": e[1], "collected": e[3], "thread": e[4], "where": e[6]} for e in full][:40],
        }  # fmt: skip
    return out


def memory_summary(samples: list, phases: dict[str, float]) -> dict[str, Any]:
    """RSS and live Python allocations (pymalloc blocks) when the scan starts, ends, and at the end."""
    out: dict[str, Any] = {}
    for phase in ("scan", "after"):
        mine = [s for s in samples if s[4] == phase]
        if mine:
            peak = max(mine, key=lambda s: s[1])
            out[phase] = {"rss_first_mb": mine[0][1], "rss_last_mb": mine[-1][1], "rss_max_mb": peak[1],
                          "rss_max_at_s": peak[0], "blocks_first": mine[0][2], "blocks_last": mine[-1][2],
                          "blocks_max": max(s[2] for s in mine)}  # fmt: skip
    out["timeline"] = [(s[0], s[1], s[2], s[4]) for s in samples[:: max(1, len(samples) // 60)]]
    return out


def _dur(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))  # nearest rank
    return ordered[k]


def gap_stats(values: list[float]) -> dict[str, Any]:
    over = [g for g in values if g > STALL_MS]
    return {"n": len(values), "max_ms": round(max(values), 1) if values else 0.0,
            "p99_ms": round(_pct(values, 99), 1), "p50_ms": round(_pct(values, 50), 1),
            "over_50ms": len(over), "over_100ms": sum(g > 100 for g in values),
            "over_250ms": sum(g > 250 for g in values), "stalled_s": round(sum(over) / 1000, 2)}  # fmt: skip


# --- where the GUI thread was during stalls -------------------------------------------------------

_THREAD = re.compile(r"^(?:Current thread|Thread) (0x[0-9a-fA-F]+) \(most recent call first\):")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')
_STALL = re.compile(r"^# stall t=([\d.]+) gap=([\d.]+) phase=(.*?)(?: file=(\d+)/(\d+) source=(.*))?$")


def parse_stacks(text: str, main_ident: int) -> list[dict[str, Any]]:
    """The stack dumps between two `# stall` notes belong to the stall the second one closes."""
    stalls: list[dict[str, Any]] = []
    dumps: list[dict[int, list[tuple[str, int, str]]]] = []
    frames: list[tuple[str, int, str]] | None = None
    for line in text.splitlines():
        if line.startswith("Timeout ("):
            dumps.append({})
            frames = None
        elif (m := _THREAD.match(line)) and dumps:
            frames = dumps[-1].setdefault(int(m[1], 16), [])
        elif (m := _FRAME.match(line)) and frames is not None:
            frames.append((m[1], int(m[2]), m[3]))
        elif m := _STALL.match(line):
            stalls.append({"t_s": float(m[1]), "gap_ms": float(m[2]), "phase": m[3],
                           "file": f"{m[4]}/{m[5]}" if m[4] else None, "source": m[6],
                           "dumps": [{"main": d.get(main_ident, []),
                                      "others": [f for tid, f in d.items() if tid != main_ident]} for d in dumps]})  # fmt: skip
            dumps, frames = [], None
        elif line.startswith("# "):
            frames = None
    return stalls


_LIB = re.compile(r"^.*/site-packages/|^.*?/lib/python3\.\d+/")


def _short(path: str, repo: Path) -> str:
    if path.startswith(str(repo) + os.sep) and "site-packages" not in path:
        return path[len(str(repo)) + 1:]
    return _LIB.sub("", path)


def _frame(f: tuple[str, int, str], repo: Path) -> str:
    return f"{_short(f[0], repo)}:{f[1]} {f[2]}"


def _thread_role(frames: list[tuple[str, int, str]]) -> str:
    files = " ".join(f[0] for f in frames)
    if "desktop/ui/tasks.py" in files:
        job = next((f[2] for f in reversed(frames) if "desktop/ui/tasks.py" not in f[0]), "?")
        if "desktop/ingest.py" in files:
            return "task thread (scan)"
        return f"task thread ({job})"
    if "concurrent/futures/process.py" in files:
        return "process-pool manager thread"
    if "multiprocessing" in files:
        return "multiprocessing thread"
    return "other thread"


def culprits(stalls: list[dict[str, Any]], repo: Path, top: int = 8, phases: tuple[str, ...] = ("scan", "after")
             ) -> dict[str, Any]:  # fmt: skip
    """Stall samples tallied by where the GUI thread was, and by what the other threads were doing.

    A GUI thread whose innermost Python frame is the event loop (`app.exec()` in run_app) was either
    in Qt's C++ code or waiting for the GIL; then the other threads' frames say who held it."""
    gui_inner: Counter[str] = Counter()
    gui_app: Counter[str] = Counter()
    other_inner: Counter[str] = Counter()
    example: dict[str, list[str]] = {}
    samples = in_loop = 0
    by_phase: Counter[str] = Counter()
    for stall in stalls:
        by_phase[stall["phase"]] += 1
        if stall["phase"] not in phases:
            continue  # start-up, or quitting (the app closes its archive on the GUI thread)
        for dump in stall["dumps"]:
            samples += 1
            main = dump["main"]
            inner = main[0] if main else None
            in_event_loop = inner is None or (inner[2] == "run_app" and "desktop/ui/app.py" in inner[0])
            if inner is not None and inner[2] in ("tick", "note") and inner[0].endswith("bench_load.py"):
                key = "the heartbeat itself (the GUI thread was just getting going again)"
            else:
                in_loop += in_event_loop
                key = "event loop (Qt C++ code, or waiting for the GIL)" if in_event_loop else _frame(inner, repo)
                for frames in dump["others"]:
                    if frames and frames[0][2] == "on_gc" and frames[0][0].endswith("bench_load.py"):
                        where = f"a garbage collection, triggered at {_frame(frames[1], repo) if len(frames) > 1 else '?'}"
                        other_inner[f"{_thread_role(frames)}: {where}"] += 1
                    elif frames and in_event_loop:
                        other_inner[f"{_thread_role(frames)}: {_frame(frames[0], repo)}"] += 1
            if not in_event_loop and inner is not None:
                app_frame = next((f for f in main if "/desktop/" in f[0] and f[2] != "run_app"), None)
                if app_frame is not None:
                    gui_app[f"{_frame(app_frame, repo)}"] += 1
            gui_inner[key] += 1
            if key not in example:
                example[key] = [_frame(f, repo) for f in main[:14]]
    return {
        "stalls": len(stalls), "samples": samples, "samples_gui_in_event_loop": in_loop, "stalls_by_phase": dict(by_phase),
        "gui_innermost": gui_inner.most_common(top), "gui_innermost_app_frame": gui_app.most_common(top),
        "other_threads": other_inner.most_common(top),
        "examples": {k: example[k] for k, _ in gui_inner.most_common(4)},
    }  # fmt: skip


# --- output --------------------------------------------------------------------------------------


def print_table(title: str, table: list[tuple[str, str, str, str]]) -> None:
    print(title)
    widths = [max([len(r[i]) for r in table] + [len(h)]) for i, h in enumerate(("step", "result", "MB/s"))]
    print(f"{'step':<{widths[0]}}  {'result':>{widths[1]}}  {'MB/s':>{widths[2]}}  notes")
    for step, result, rate, notes in table:
        print(f"{step:<{widths[0]}}  {result:>{widths[1]}}  {rate:>{widths[2]}}  {notes}")


def verdicts(results: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """(target, met, figure) for the two Load targets, per measurement."""
    out: list[tuple[str, bool | None, str]] = []
    check = results.get("cli_report_check")
    if check:
        out.append(("CLI scan: report equals the expected totals", check["pass"],
                    "PASS" if check["pass"] else check["differences"][0]))  # fmt: skip
    cold = results.get("cli_cold_scan")
    if cold:
        main, worst = cold["main_peak_rss_mb"], cold["largest_worker_peak_rss_mb"]
        out.append(("CLI scan: main process peak RSS < 300 MB", main < 300, f"{main:.0f} MB"))
        if worst is not None:
            out.append(("CLI scan: every parse worker peak RSS < 300 MB", worst < 300, f"largest {worst:.0f} MB"))
        total = cold["sum_main_and_workers_mb"]
        out.append(("CLI scan: main + workers (sum of peaks) < 300 MB", total < 300, f"{total:.0f} MB"))
    for name in GUI_RUNS:
        res = results.get(f"gui_{name}")
        if not res:
            continue
        if "report_check" in res:
            ok = res["report_check"]["pass"]
            out.append((f"app ({name}): its archive's report equals the expected totals", ok,
                        "PASS" if ok else res["report_check"]["differences"][0]))  # fmt: skip
        scan = res["gaps"]["scan"]
        out.append((f"app ({name}): GUI gap <= 50 ms during the scan", scan["max_ms"] <= STALL_MS,
                    f"max {scan['max_ms']:.0f} ms, {scan['over_50ms']} gaps > 50 ms"))  # fmt: skip
        after = res["gaps"]["after"]
        if after["n"]:
            out.append((f"app ({name}): GUI gap <= 50 ms after the scan (pages reload)", after["max_ms"] <= STALL_MS,
                        f"max {after['max_ms']:.0f} ms, {after['over_50ms']} gaps > 50 ms"))  # fmt: skip
        rss = res["rss"]["app_peak_mb"]
        out.append((f"app ({name}): app process peak RSS < 300 MB", rss < 300, f"{rss:.0f} MB"))
        scan_mb = res["rss"].get("scan_process_peak_mb")
        if scan_mb is not None:
            out.append((f"app ({name}): its scan process peak RSS < 300 MB", scan_mb < 300, f"{scan_mb:.0f} MB"))
    return out


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    code = results.get("code", {})
    lines = [f"Commit {code.get('commit')}{' with local changes to desktop/' if code.get('desktop_modified') else ''}; "
             f"measured {results['started']} on {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_total_gib']} GiB RAM, "
             f"{m['platform']}; load average at start {results['load_at_start'].get('loadavg')}.", ""]  # fmt: skip
    lines += ["| target | met | figure |", "|---|---|---|"]
    for target, met, figure in verdicts(results):
        lines.append(f"| {target} | {'yes' if met else 'NO'} | {figure} |")
    lines += ["", "```", *results.get("table_lines", []), "```", ""]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/bench_load.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-gb", type=float, default=5.0, help="corpus size (default 5)")
    ap.add_argument("--files", type=int, default=50_000, help="corpus file count (default 50,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, default=None,
                    help="where the corpus and archives go; a corpus already there is reused (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the archives (and a temp work dir) afterwards")
    ap.add_argument("--python", type=Path, default=REPO / ".venv" / "bin" / "python", help="the app's venv python")
    ap.add_argument("--tm", type=Path, default=None, help="the tokenmirror CLI (default: next to --python)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results-load.json",
                    help="the JSON results (default bench/results-load.json, git-ignored like results*.json)")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the figures as Markdown here")
    ap.add_argument("--gui-runs", default=",".join(GUI_RUNS), help="which app runs: idle,ranges (or none)")
    ap.add_argument("--skip-cli", action="store_true", help="skip the CLI scan")
    ap.add_argument("--tick-ms", type=int, default=10, help="GUI heartbeat interval (default 10)")
    ap.add_argument("--range-every-ms", type=int, default=500, help="range changes in the `ranges` run (default 500)")
    ap.add_argument("--after-ranges-s", type=float, default=15.0,
                    help="keep changing ranges this long after the scan (the chart then has data)")
    ap.add_argument("--no-stacks", action="store_true", help="no stack samples during GUI stalls")
    ap.add_argument("--faulthandler", action="store_true",
                    help="sample stalls with faulthandler (no GIL needed, so it catches a thread mid-collection; "
                         "but it reads running threads' frames unlocked: it crashed the app in 2 of 18 runs)")
    ap.add_argument("--no-clock", action="store_true", help="do not poll the app's threads' CPU time (schedstat)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed to the CLI scan")
    ap.add_argument("--gui-timeout", type=float, default=3600, help="seconds allowed to each app run")
    args = ap.parse_args(argv)
    if args.size_gb <= 0 or args.files < 1:
        ap.error("--size-gb and --files must be positive")
    args.python = args.python if args.python.is_absolute() else Path.cwd() / args.python
    args.tm = args.tm or args.python.parent / "tokenmirror"
    args.gui_runs = [r for r in args.gui_runs.split(",") if r and r != "none"]
    for r in args.gui_runs:
        if r not in GUI_RUNS:
            ap.error(f"--gui-runs: unknown run {r!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    for exe in (args.python, args.tm):
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            print(f"error: {exe} not found; create the venv (make) or pass --python", file=sys.stderr)
            return 2
    from bench.run import StepFailed as RunStepFailed  # what bench.run's helpers raise

    temp = args.work is None
    work = Path(tempfile.mkdtemp(prefix="tm-load-")) if temp else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), "code": code_version(),
                               "load_at_start": load_now(), "args": {k: str(v) for k, v in vars(args).items()},
                               "work": str(work)}  # fmt: skip
    table: list[tuple[str, str, str, str]] = []
    la = results["load_at_start"]
    print(f"commit {results['code']['commit']}{' (desktop/ modified)' if results['code']['desktop_modified'] else ''}; "
          f"{results['machine']['nproc']} CPUs, load average {la.get('loadavg')}, CPUs {la.get('cpu_busy_pct')}% "
          f"busy before start", flush=True)  # fmt: skip
    rc = 0
    try:
        info = corpus(args, work)
        results["corpus"] = info
        how = "reused" if info["reused"] else f"generated in {info['seconds']:.0f} s"
        print(f"corpus: {info['bytes'] / GB:.2f} GB in {info['files']:,} files ({how})", flush=True)
        table.append(("corpus (not scored)", f"{info['seconds']:.0f} s" if info.get("seconds") else "reused",
                      f"{info['bytes'] / MB / info['seconds']:.0f}" if info.get("seconds") and not info["reused"] else "",
                      f"{info['bytes'] / GB:.2f} GB, {info['files']:,} files"
                      + (f", {info['events']:,} calls" if info.get("events") else "")))  # fmt: skip
        if not args.skip_cli:
            print("CLI cold scan ...", flush=True)
            cli_scan(args, work, info, results, table)
        for name in args.gui_runs:
            print(f"app, cold scan ({name}) ...", flush=True)
            gui_run(args, work, name, results, table)
    except (StepFailed, RunStepFailed) as exc:
        results["error"] = str(exc)
        table.append(("stopped", "ERROR", "", str(exc)))
        rc = 1
    except KeyboardInterrupt:
        results["error"] = "interrupted"
        rc = 130
    finally:
        results["load_at_end"] = load_now(0)
        if not args.keep:
            for name in ["cli-data"] + [f"gui-{r}-data" for r in GUI_RUNS]:
                shutil.rmtree(work / name, ignore_errors=True)
            if temp:
                shutil.rmtree(work, ignore_errors=True)
    title = f"Tokenmirror load benchmark: {args.size_gb:g} GB, {args.files:,} files, seed {args.seed}"
    print_table(title, table)
    results["table_lines"] = _table_lines(title, table)
    results["verdicts"] = [{"target": t, "met": m, "figure": f} for t, m, f in verdicts(results)]
    print()
    for target, met, figure in verdicts(results):
        print(f"{'meets' if met else 'MISSES':>6}  {target}: {figure}")
    for name in args.gui_runs:
        res = results.get(f"gui_{name}", {})
        for phase, g in res.get("gc", {}).items():
            if g["full_collections"]:
                print(f"\nfull GCs ({name}, {phase}): {g['full_collections']}, median {g['full_ms_median']:.0f} ms, "
                      f"max {g['full_ms_max']:.0f} ms; {g['stalls_overlapping_gc']} of {g['stalls']} stalls overlap one. "
                      "Triggered in:")  # fmt: skip
                for where, n in g["full_by_where"]:
                    print(f"  {n:5}  {where}")
        c = res.get("culprits")
        if c and c["samples"]:
            print(f"\nGUI stalls ({name}): {c['stalls']} stalls, {c['samples']} stack samples; GUI thread's innermost frame:")
            for where, n in c["gui_innermost"][:6]:
                print(f"  {n:5}  {where}")
            if c["other_threads"]:
                print("  the other threads (all of them while the GUI thread was in the event loop; any in a collection):")
                for where, n in c["other_threads"][:6]:
                    print(f"  {n:5}  {where}")
    if "error" in results:
        print(f"error: {results['error']}", file=sys.stderr)
    if any(met is False for _, met, _ in verdicts(results)):
        rc = rc or 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results))
    print(f"\nresults: {args.out}" + (f" (work dir: {work})" if not temp or args.keep else ""))
    return rc


def _table_lines(title: str, table: list[tuple[str, str, str, str]]) -> list[str]:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_table(title, table)
    return buf.getvalue().splitlines()


if __name__ == "__main__":
    sys.exit(main())
