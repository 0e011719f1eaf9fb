"""Tokenmirror ingest benchmark: speed against a floor, totals against a generated corpus.

    python bench/run.py [--size-mb 1024] [--tm .venv/bin/tokenmirror] [--out bench/results.json] [--mix]

One run generates a fake HOME (bench/corpus.py), then times the CLI as a subprocess with HOME,
XDG_* and TZ=UTC pointing at it: the msgspec floor on the same bytes, a cold scan (wall, MB/s,
peak RSS), the daily report against expected.json, rescans (nothing new; after appends; after
finishing partial lines) with exact deltas, report latency, and a separate many-small-files
history. Cheap steps run three times and report the median. Prints a table and writes JSON.
`--mix`: a quarter of the corpus comes from six other assistants, so the cold scan covers every
reader and "cold scan, <source> only" gives each one's MB/s (on the bytes that source wrote).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._proc import status_kb
from bench.corpus import EXPECTED, append_claude, complete_partial_lines, generate

TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
              "reasoning_tokens", "total_tokens", "events")
MB = 1e6
REPEAT = 3
CHECKS = (  # (results key, the flag that must not be false)
    ("report_check", "pass"), ("rescan_nothing_new", "unchanged"), ("rescan_after_append", "delta_pass"),
    ("partial_lines_completed", "delta_pass"), ("final_check", "pass"), ("small_files", "report_pass"),
)
_DROP_ENV = ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "OPENCODE_DATA_DIR", "PI_CODING_AGENT_DIR",
             "PI_AGENT_DIR", "AMP_DATA_DIR", "QWEN_HOME", "GOOSE_PATH_ROOT")


class StepFailed(Exception):
    """A step could not run; the message says why in one line, the results keep what was measured."""


@dataclass
class Child:
    rc: int
    seconds: float
    peak_rss_mb: float | None
    stdout: str
    stderr: str


def run_child(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> Child:
    """Runs one process; wall time from spawn to exit, peak RSS as the process's own VmHWM where /proc
    has it. (wait4's ru_maxrss cannot go below this benchmark's own peak: Linux carries the forking
    process's high-water mark into the child at exec, which made every step of a --mix run read 235 MB.)"""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        except OSError as exc:
            raise StepFailed(f"cannot start {cmd[0]}: {exc}") from None
        timer = threading.Timer(timeout, _kill, (proc.pid,))
        timer.start()
        hwm = _HighWater(proc.pid)
        hwm.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
            else:
                proc.wait()
                seconds = time.perf_counter() - start
                rss = None
        finally:
            timer.cancel()
            hwm.stop()
        rss = hwm.peak_mb if hwm.peak_mb is not None else rss
        out.seek(0)
        err.seek(0)
        stdout, stderr = (f.read().decode("utf-8", "replace") for f in (out, err))
        return Child(proc.returncode, seconds, rss, stdout, stderr)


class _HighWater(threading.Thread):
    """Polls /proc/PID/status every 20 ms for VmHWM, the exec'd program's own peak (it only grows)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True, name="vmhwm")
        self.pid = pid
        self.peak_mb: float | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            status = status_kb(self.pid)
            if status is None:
                return  # gone (reaped) or no /proc: keep what was seen
            if "VmHWM" in status:
                self.peak_mb = max(self.peak_mb or 0.0, status["VmHWM"] / 1024)
            self._halt.wait(0.02)

    def stop(self) -> None:
        self._halt.set()
        self.join(1)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _tail(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-n:]) if lines else "(no output)"


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.tm = str(args.tm)

    def env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k not in _DROP_ENV}
        env.update(
            HOME=str(home), USERPROFILE=str(home), TZ="UTC", QT_QPA_PLATFORM="offscreen",
            XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_STATE_HOME=str(home / ".local" / "state"), XDG_CACHE_HOME=str(home / ".cache"),
        )
        return env

    def cli(self, home: Path, data: Path, *argv: str) -> Child:
        cmd = [self.tm, "--data-dir", str(data), *argv]
        child = run_child(cmd, self.env(home), self.work, self.args.timeout)
        if child.rc != 0:
            command = "tokenmirror " + " ".join(argv)
            raise StepFailed(f"`{command}` exited {child.rc}: {_tail(child.stderr or child.stdout)}")
        return child

    def report(self, home: Path, data: Path, by_model: bool = True) -> tuple[dict, float]:
        argv = ["report", "daily", "--json", "--tz", "UTC"] + (["--by-model"] if by_model else [])
        child = self.cli(home, data, *argv)
        try:
            out = json.loads(child.stdout)
        except ValueError:
            command = "tokenmirror " + " ".join(argv)
            raise StepFailed(f"`{command}` did not print JSON: {_tail(child.stdout, 2)}") from None
        if not isinstance(out, dict) or not isinstance(out.get("rows"), list):
            raise StepFailed("the report JSON has no rows list")
        return out, child.seconds

    def floor(self, home: Path) -> Child:
        cmd = [str(self.args.python), str(REPO / "bench" / "floor.py"), str(home)]
        child = run_child(cmd, os.environ.copy(), self.work, self.args.timeout)
        if child.rc != 0:
            hint = f"is msgspec installed for {self.args.python}?"
            raise StepFailed(f"floor.py failed ({hint}): {_tail(child.stderr)}")
        return child


# --- comparing reports --------------------------------------------------------------------------


def _rows(report: dict) -> dict[tuple, dict]:
    return {(r.get("date"), r.get("source"), r.get("model")): r for r in report["rows"]}


def diff_reports(expected: dict, actual: dict, limit: int = 8) -> list[str]:
    """Every difference on the token keys and events, per (date, source, model) row and in totals."""
    diffs = []
    exp, act = _rows(expected), _rows(actual)
    for key in sorted(set(exp) | set(act), key=lambda k: tuple(str(x) for x in k)):
        name = "/".join(map(str, key))
        if key not in act:
            e = exp[key]
            diffs.append(f"missing row {name}: expected events={e['events']} total={e['total_tokens']}")
        elif key not in exp:
            a = act[key]
            diffs.append(f"unexpected row {name}: events={a.get('events')} total={a.get('total_tokens')}")
        else:
            for k in TOKEN_KEYS:
                if exp[key][k] != act[key].get(k):
                    diffs.append(f"{name} {k}: expected {exp[key][k]}, got {act[key].get(k)}")
            if act[key].get("is_estimate", False) is not False:
                diffs.append(f"{name} is_estimate: expected false, got {act[key].get('is_estimate')}")
    for k in TOKEN_KEYS:
        got = actual.get("totals", {}).get(k)
        if got is not None and got != expected["totals"][k]:
            diffs.append(f"totals {k}: expected {expected['totals'][k]}, got {got}")
    return diffs[:limit] + ([f"... {len(diffs) - limit} more"] if len(diffs) > limit else [])


def add_reports(a: dict, b: dict) -> dict:
    """a + b on the token keys, row by row (rows missing on one side count as zero)."""
    rows: dict[tuple, dict] = {}
    for k, r in [*_rows(a).items(), *_rows(b).items()]:
        row = rows.setdefault(k, {"date": k[0], "source": k[1], "model": k[2]} | dict.fromkeys(TOKEN_KEYS, 0))
        for x in TOKEN_KEYS:
            row[x] += r.get(x, 0)
    out = [rows[k] for k in sorted(rows, key=lambda k: tuple(str(x) for x in k))]
    return {"rows": out, "totals": {x: sum(r[x] for r in out) for x in TOKEN_KEYS}}


def _corpus_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.rglob("*.jsonl"))


# --- the run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Path, results: dict, table: list[tuple[str, str, str, str]]) -> None:
    bench = Bench(args, work)
    home, data = work / "home", work / "data"
    # start-up is measured as users have it: an installed package has bytecode (an editable one may not)
    subprocess.run([str(args.python), "-m", "compileall", "-q", str(REPO / "desktop")], check=False)
    size = int(args.size_mb * MB)

    t = time.perf_counter()
    gen = generate(home, size, seed=args.seed, mix=args.mix)
    gen_s = time.perf_counter() - t
    nbytes = sum(gen["bytes"].values())
    results["corpus"] = {"bytes": nbytes, "files": sum(gen["files"].values()), "seconds": round(gen_s, 3),
                         "mb_per_s": round(nbytes / MB / gen_s, 1), "rows": len(gen["rows"]),
                         "events": gen["totals"]["events"], "features": gen["features"], "mix": args.mix,
                         "bytes_per_source": gen["bytes"]}
    notes = f"{nbytes / MB:.1f} MB, {results['corpus']['files']} files, {gen['totals']['events']:,} calls"
    table.append(("generate corpus (not scored)", f"{gen_s:.2f} s", f"{nbytes / MB / gen_s:.0f}", notes))
    scan_bytes = _corpus_bytes(home)

    floors = [bench.floor(home) for _ in range(REPEAT)]
    floor_s = statistics.median(c.seconds for c in floors)
    info = json.loads(floors[0].stdout)
    results["floor"] = {"seconds": round(floor_s, 3), "mb_per_s": round(scan_bytes / MB / floor_s, 1),
                        "runs": [round(c.seconds, 3) for c in floors], **info}
    only_jsonl = "; .jsonl files only" if args.mix else ""
    table.append(("floor: msgspec on usage lines", f"{floor_s:.2f} s", f"{scan_bytes / MB / floor_s:.0f}",
                  f"median of {REPEAT}; {info['decoded']:,} lines decoded{only_jsonl}"))
    if args.mix:
        scan_bytes = nbytes  # the scan also reads the .json documents and the SQLite database
    if args.corpus_only:
        return

    colds = []  # the median of three, like the floor: one run on two shared cores varies by +-10%
    for i in range(REPEAT):
        archive = data if i == 0 else work / f"cold-data-{i}"
        colds.append(bench.cli(home, archive, "scan"))
        if i:
            shutil.rmtree(archive, ignore_errors=True)
    cold = sorted(colds, key=lambda c: c.seconds)[REPEAT // 2]
    peak = max((c.peak_rss_mb for c in colds if c.peak_rss_mb is not None), default=None)
    results["cold_scan"] = {
        "seconds": round(cold.seconds, 3), "mb_per_s": round(scan_bytes / MB / cold.seconds, 1),
        "ratio_to_floor": round(cold.seconds / floor_s, 2), "peak_rss_mb": _r(peak),
        "runs": _rs([c.seconds for c in colds]),
    }
    table.append(("cold scan", f"{cold.seconds:.2f} s", f"{scan_bytes / MB / cold.seconds:.0f}",
                  f"median of {REPEAT}, {cold.seconds / floor_s:.2f}x floor, peak RSS {_mb(peak)}"))

    per_source(bench, home, work, gen, floor_s, results, table)

    expected = json.loads((home / EXPECTED).read_text())
    report, by_model_s = bench.report(home, data)
    diffs = diff_reports(expected, report)
    results["report_check"] = {"pass": not diffs, "differences": diffs, "seconds": round(by_model_s, 3)}
    notes = f"{len(expected['rows'])} rows, {expected['totals']['events']:,} calls" if not diffs else diffs[0]
    table.append(("report --by-model vs expected", "PASS" if not diffs else "FAIL", "", notes))

    again = [bench.cli(home, data, "scan").seconds for _ in range(REPEAT)]
    same, _ = bench.report(home, data)
    idem = diff_reports(report, same)
    results["rescan_nothing_new"] = {"seconds": round(statistics.median(again), 3), "runs": _rs(again),
                                     "unchanged": not idem, "differences": idem}
    table.append(("rescan, nothing new", f"{statistics.median(again):.3f} s", "",
                  f"median of {REPEAT}; report unchanged: {'yes' if not idem else 'NO: ' + idem[0]}"))

    append_runs, append_diffs = [], []
    before = same
    for i in range(REPEAT):
        delta = append_claude(home, int(args.append_mb * MB), seed=args.seed * 100 + i)
        append_runs.append(bench.cli(home, data, "scan").seconds)
        after, _ = bench.report(home, data)
        append_diffs += [f"append {i + 1}: {d}" for d in diff_reports(add_reports(before, delta), after)]
        before = after
    median = statistics.median(append_runs)
    results["rescan_after_append"] = {
        "append_mb": args.append_mb, "seconds": round(median, 3), "runs": _rs(append_runs),
        "delta_pass": not append_diffs, "differences": append_diffs[:8],
    }
    verdict = "PASS" if not append_diffs else "FAIL: " + append_diffs[0]
    table.append((f"rescan after +{args.append_mb:g} MB Claude", f"{median:.3f} s", "",
                  f"median of {REPEAT}; exact delta: {verdict}"))

    delta = complete_partial_lines(home)
    partial_s = bench.cli(home, data, "scan").seconds
    after, _ = bench.report(home, data)
    pdiffs = diff_reports(add_reports(before, delta), after)
    results["partial_lines_completed"] = {"events": delta["totals"]["events"], "seconds": round(partial_s, 3),
                                          "delta_pass": not pdiffs, "differences": pdiffs}
    verdict = "PASS" if not pdiffs else "FAIL: " + pdiffs[0]
    table.append(("rescan after partial lines finish", f"{partial_s:.3f} s", "",
                  f"{delta['totals']['events']} call(s); exact delta: {verdict}"))

    final = diff_reports(json.loads((home / EXPECTED).read_text()), after)
    results["final_check"] = {"pass": not final, "differences": final}
    table.append(("final report vs expected", "PASS" if not final else "FAIL", "", final[0] if final else ""))

    daily = [bench.report(home, data, by_model=False)[1] for _ in range(REPEAT)]
    by_model = [bench.report(home, data)[1] for _ in range(REPEAT)]
    results["report_daily"] = {"seconds": round(statistics.median(daily), 3), "runs": _rs(daily),
                               "by_model_seconds": round(statistics.median(by_model), 3)}
    table.append(("report daily --json", f"{statistics.median(daily):.3f} s", "",
                  f"median of {REPEAT}; --by-model {statistics.median(by_model):.3f} s"))

    if args.small_files:
        small(bench, args, work, results, table)


def per_source(bench: Bench, home: Path, work: Path, gen: dict, floor_s: float, results: dict, table: list) -> None:
    """The same cold scan in one process, and each source alone: what the workers buy, what each reader costs."""
    serial_env = {**bench.env(home), "TOKENMIRROR_WORKERS": "1"}
    data = work / "serial-data"
    cmd = [str(bench.tm), "--data-dir", str(data), "scan"]
    serial = run_child(cmd, serial_env, work, bench.args.timeout)
    total = sum(gen["bytes"].values())
    results["cold_scan_one_process"] = {"seconds": round(serial.seconds, 3), "mb_per_s": round(total / MB / serial.seconds, 1),
                                        "ratio_to_floor": round(serial.seconds / floor_s, 2),
                                        "peak_rss_mb": _r(serial.peak_rss_mb)}  # fmt: skip
    table.append(("cold scan, one process", f"{serial.seconds:.2f} s", f"{total / MB / serial.seconds:.0f}",
                  f"{serial.seconds / floor_s:.1f}x floor, peak RSS {_mb(serial.peak_rss_mb)}"))
    results["per_source"] = {}
    for source, nbytes in sorted(gen["bytes"].items()):
        child = bench.cli(home, work / f"only-{source}", "scan", "--source", source)
        results["per_source"][source] = {"bytes": nbytes, "seconds": round(child.seconds, 3),
                                         "mb_per_s": round(nbytes / MB / child.seconds, 1)}  # fmt: skip
        table.append((f"cold scan, {source} only", f"{child.seconds:.2f} s", f"{nbytes / MB / child.seconds:.0f}",
                      f"{nbytes / MB:.1f} MB of {source} logs"))


def small(bench: Bench, args: argparse.Namespace, work: Path, results: dict, table: list) -> None:
    """A separate history of many small files: cold scan, then rescans that find nothing new."""
    home, data = work / "small-home", work / "small-data"
    gen = generate(home, int(args.small_mb * MB), seed=args.seed + 1, files=args.small_files)
    nbytes = _corpus_bytes(home)
    nfiles = sum(gen["files"].values())
    cold = bench.cli(home, data, "scan")
    again = [bench.cli(home, data, "scan").seconds for _ in range(REPEAT)]
    report, _ = bench.report(home, data)
    diffs = diff_reports(json.loads((home / EXPECTED).read_text()), report)
    results["small_files"] = {
        "files": nfiles, "bytes": nbytes, "cold_seconds": round(cold.seconds, 3),
        "cold_mb_per_s": round(nbytes / MB / cold.seconds, 1), "cold_peak_rss_mb": _r(cold.peak_rss_mb),
        "rescan_seconds": round(statistics.median(again), 3), "rescan_runs": _rs(again),
        "report_pass": not diffs, "differences": diffs,
    }
    label = f"{nfiles:,} files ({nbytes / MB:.0f} MB)"
    table.append((f"{label}: cold scan", f"{cold.seconds:.2f} s", f"{nbytes / MB / cold.seconds:.0f}",
                  f"peak RSS {_mb(cold.peak_rss_mb)}; report {'PASS' if not diffs else 'FAIL: ' + diffs[0]}"))
    table.append((f"{label}: rescan, nothing new", f"{statistics.median(again):.3f} s", "",
                  f"median of {REPEAT}"))


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _rs(xs: list[float]) -> list[float]:
    return [round(x, 3) for x in xs]


def _mb(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.0f} MB"


def print_table(title: str, table: list[tuple[str, str, str, str]]) -> None:
    print(title)
    widths = [max([len(r[i]) for r in table] + [len(h)]) for i, h in enumerate(("step", "result", "MB/s"))]
    print(f"{'step':<{widths[0]}}  {'result':>{widths[1]}}  {'MB/s':>{widths[2]}}  notes")
    for step, result, rate, notes in table:
        print(f"{step:<{widths[0]}}  {result:>{widths[1]}}  {rate:>{widths[2]}}  {notes}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1024, help="corpus size (default 1024)")
    ap.add_argument("--tm", type=Path, default=REPO / ".venv" / "bin" / "tokenmirror",
                    help="the tokenmirror CLI (default .venv/bin/tokenmirror)")
    ap.add_argument("--python", type=Path, default=None,
                    help="python with msgspec for the floor (default: the one next to --tm)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results.json")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--append-mb", type=float, default=1.0, help="bytes appended before each timed rescan")
    ap.add_argument("--small-files", type=int, default=10_000,
                    help="file count of the small-files history (0: skip it)")
    ap.add_argument("--small-mb", type=float, default=30.0,
                    help="its size (default 30; ~2.8 KB a file is the floor of a realistic session file)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the corpora and archives go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each child process")
    ap.add_argument("--corpus-only", action="store_true", help="generate and measure the floor, skip the app")
    ap.add_argument("--mix", action="store_true", help="a mixed corpus: 25%% of the bytes from Gemini CLI, "
                    "Qwen Code, Copilot CLI, pi, Amp and OpenCode")
    args = ap.parse_args(argv)
    if args.size_mb <= 0:
        ap.error("--size-mb must be positive")
    args.tm = args.tm if args.tm.is_absolute() else (Path.cwd() / args.tm)
    if args.python is None:
        beside = args.tm.parent / "python"
        args.python = beside if beside.exists() else Path(sys.executable)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.corpus_only and not (args.tm.is_file() and os.access(args.tm, os.X_OK)):
        print(f"error: no tokenmirror CLI at {args.tm}; create the venv (make) or pass --tm PATH "
              f"(or --corpus-only to measure only the generator and the floor)", file=sys.stderr)
        return 2
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="tm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    need = int(args.size_mb * MB * 2.2 + args.small_mb * MB * 3 * bool(args.small_files))
    free = shutil.disk_usage(work).free
    if free < need:
        print(f"error: {work} has {free / MB:.0f} MB free, the run needs about {need / MB:.0f} MB",
              file=sys.stderr)
        return 2
    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "size_mb": args.size_mb, "seed": args.seed,
        "tm": str(args.tm), "python": platform.python_version(), "platform": platform.platform(),
        "cpus": os.cpu_count(), "workdir": str(work),
    }
    table: list[tuple[str, str, str, str]] = []
    rc = 0
    try:
        run(args, work, results, table)
        checks = [results.get(step, {}).get(flag) for step, flag in CHECKS]
        rc = 1 if any(c is False for c in checks) else 0
    except StepFailed as exc:
        results["error"] = str(exc)
        table.append(("stopped", "ERROR", "", str(exc)))
        rc = 1
    except KeyboardInterrupt:
        results["error"] = "interrupted"
        rc = 130
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    kind = "mixed corpus" if args.mix else "corpus"
    print_table(f"Tokenmirror benchmark: {args.size_mb:g} MB {kind}, seed {args.seed}", table)
    for key, _ in CHECKS:
        for d in results.get(key, {}).get("differences", [])[:8]:
            print(f"  {key}: {d}")
    if "error" in results:
        print(f"error: {results['error']}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.out}" + (f" (work dir kept: {work})" if args.keep else ""))
    return rc


if __name__ == "__main__":
    sys.exit(main())
