"""Exports: every format writes the numbers `report daily --json` and `commits --json` give for the same
period, files are private, HTML is self-contained, and the period rules hold.

The scene (built once for this module and test_export_redaction.py) is one week, Mon 2 - Sun 8 March
2026, in UTC, with a real git repository, and known strings planted where redaction must find them:
a prompt text, a repository folder, a folder inside it, a folder outside any repository, a branch, commit
subjects (one with a URL) and an edited file that never reached a commit.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.commits import identity
from desktop.commits.refresh import refresh_commits
from desktop.formatting import money, tokens
from desktop.periods import zone
from desktop.reports.export import ExportPeriod, PeriodError, document_for, export
from desktop.reports.usage import Window
from desktop.store import Store
from tests.helpers import scan
from tests.logs import (
    claude_assistant,
    claude_file,
    claude_user,
    codex_file,
    codex_meta,
    codex_prompt,
    codex_tokens,
    codex_turn,
    iso,
    tool_use,
    usage,
    write_lines,
)

PROMPT = "zqxpromptsecret"
REPO = "zqxrepohidden"
SUBDIR = "zqxsubdirhidden"
FOLDER = "zqxfolderhidden"
BRANCH = "zqxbranchhidden"
SUBJECT = "zqxsubjecthidden"
URL_WORD = "zqxurlhidden"
FILE = "zqxfilehidden"
PLANTED = {"prompt": PROMPT, "repo": REPO, "subdir": SUBDIR, "folder": FOLDER, "branch": BRANCH,
           "subject": SUBJECT, "url": URL_WORD, "file": FILE}  # fmt: skip
ME = ("Dev Me", "me@example.com")
UTC = timezone.utc
SINCE, UNTIL = "2026-03-02", "2026-03-08"
WEEK = ["--period", "week", "--until", UNTIL, "--tz", "UTC"]
FORMATS = ("md", "html", "pdf", "csv", "json")
LEVELS = ("none", "prompts", "projects", "all")


@dataclass
class Scene:
    base: Path
    data: Path  # the --data-dir
    repo: Path

    def store(self) -> Store:
        return Store.open(self.data / "archive.sqlite")


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME=ME[0], GIT_AUTHOR_EMAIL=ME[1], GIT_COMMITTER_NAME=ME[0],
               GIT_COMMITTER_EMAIL=ME[1])  # fmt: skip
    if when:
        stamp = f"@{int(datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp())} +0000"
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def _commit(repo: Path, files: dict[str, str], message: str, when: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message, when=when)


def _claude(
    home: Path, sid: str, cwd: Path, start: str, steps: list[tuple], branch: str | None = None
) -> None:
    """steps: ("prompt", seconds, text) | ("call", seconds, input, output) | ("edit", seconds, path)."""
    t0 = datetime.fromisoformat(start).replace(tzinfo=UTC)
    extra = {"gitBranch": branch} if branch else {}
    lines = []
    for i, (kind, seconds, *rest) in enumerate(steps):
        ts = iso(t0 + timedelta(seconds=seconds))
        if kind == "prompt":
            lines.append(claude_user(ts, rest[0], session=sid, uuid=f"{sid}-p{i}", cwd=str(cwd), **extra))
        elif kind == "call":
            lines.append(claude_assistant(ts, f"{sid}-m{i}", f"{sid}-r{i}", session=sid, cwd=str(cwd), input=rest[0],
                                          output=rest[1], **extra))  # fmt: skip
        else:
            block = tool_use(f"{sid}-t{i}", "Edit", file_path=str(rest[0]), old_string="a", new_string="b")
            lines.append(claude_assistant(ts, f"{sid}-m{i}", f"{sid}-r{i}", session=sid, cwd=str(cwd), input=10,
                                          output=5, block=block, **extra))  # fmt: skip
    write_lines(claude_file(home, sid, project=str(cwd)), lines)


def build_scene(base: Path) -> Scene:
    home, data = base / "home", base / "data"
    repo = base / REPO
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _commit(
        repo, {"README.md": "hello\n", "src/ledger.py": "x = 1\n"}, "initial import", "2026-02-20T10:00:00"
    )
    _git(repo, "checkout", "-q", "-b", BRANCH)
    # last week: a small Codex session in the repository, for the comparison
    t = usage(40_000, 10_000, 2_000, 500)
    write_lines(codex_file(home, "thread-prev", day="2026-02-25"), [
        codex_meta("2026-02-25T09:00:00.000Z", "thread-prev", cwd=str(repo)),
        codex_turn("2026-02-25T09:00:01.000Z"),
        codex_prompt("2026-02-25T09:00:02.000Z", "how do the totals work here"),
        codex_tokens("2026-02-25T09:00:09.000Z", t, t),
    ])  # fmt: skip
    # Tue 3: a costly session edits a file that never reaches a commit; a commit of mine follows anyway
    _claude(home, "big1", repo, "2026-03-03T09:00:00", [
        ("prompt", 0, f"{PROMPT} refactor the ledger module please"),
        ("call", 5, 2_100_000, 1_000),
        ("edit", 30, repo / f"{FILE}.py"),
    ], branch=BRANCH)  # fmt: skip
    _commit(repo, {"README.md": "hello\nmore\n"}, f"{SUBJECT} tidy readme, see https://git.example.com/{URL_WORD}",
            "2026-03-03T12:00:00")  # fmt: skip
    # Wed 4: a session in a folder inside the repository, delivered by a commit touching its file
    sub = repo / SUBDIR
    sub.mkdir()
    _claude(home, "sub1", sub, "2026-03-04T10:00:00", [
        ("prompt", 0, "write some notes about the ledger"),
        ("call", 5, 30_000, 2_000),
        ("edit", 20, sub / "notes.md"),
    ], branch=BRANCH)  # fmt: skip
    _commit(repo, {f"{SUBDIR}/notes.md": "notes\n"}, f"{SUBJECT} add notes", "2026-03-04T11:00:00")
    # Thu 5: the same prompt twelve times in a folder outside any repository (scripted prompting)
    folder = base / FOLDER
    folder.mkdir()
    steps: list[tuple] = []
    for i in range(12):
        steps += [("prompt", i * 300 + (i * 37) % 90, f"{PROMPT} please rerun the nightly reconciliation job"),
                  ("call", i * 300 + 120, 20_000, 800)]  # fmt: skip
    _claude(home, "bot1", folder, "2026-03-05T08:00:00", steps)
    store = Store.open(data / "archive.sqlite")
    try:
        identity.add_email(store, ME[1])
        scan(store, home)
        refresh_commits(store)
        # Fri 6: an estimated call (as Continue logs them), which every format must mark
        ts = int(datetime(2026, 3, 6, 10, tzinfo=UTC).timestamp() * 1000)
        store.conn.execute(
            "INSERT INTO usage_event (source, dedup_key, ts_ms, session_id, project_path, model, input_uncached, "
            "output, is_estimate, computed_cost_usd, price_status) VALUES ('continue', 'est-1', ?, 'c1', NULL, "
            "'gpt-4o', 5000, 500, 1, 0.0175, 'priced')",
            (ts,),
        )
    finally:
        store.close()
    return Scene(base, data, repo)


@pytest.fixture(autouse=True)
def _qt_application_first(qapp) -> None:
    """pytest-qt's QApplication exists before an export draws, so the renderer never makes its own here."""


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    base = tmp_path_factory.mktemp("export")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    with pytest.MonkeyPatch.context() as mp:  # this module's own home and git config, never the real ones
        mp.setenv("HOME", str(base / "home"))
        mp.setenv("XDG_CONFIG_HOME", str(base / "home" / ".config"))
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        mp.setenv("TZ", "UTC")
        for name in ("GIT_DIR", "GIT_WORK_TREE", "CLAUDE_CONFIG_DIR", "CODEX_HOME"):
            mp.delenv(name, raising=False)
        return build_scene(base)


def run_cli(capsys: pytest.CaptureFixture, scene: Scene, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(scene.data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def cli_export(capsys: pytest.CaptureFixture, scene: Scene, fmt: str, level: str, out: Path) -> str:
    code, stdout, err = run_cli(
        capsys, scene, "export", "--format", fmt, *WEEK, "--redact", level, "-o", str(out)
    )
    assert code == 0, err
    return stdout


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler reads it, in layout order."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: PDF text cannot be checked")
    done = subprocess.run([tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


def by_date(report: dict) -> dict[str, tuple[int, float | None]]:
    """`report daily` rows summed per date: (total tokens, cost or None)."""
    days: dict[str, list] = {}
    for row in report["rows"]:
        entry = days.setdefault(row["date"], [0, None])
        entry[0] += row["total_tokens"]
        if row["cost_usd"] is not None:
            entry[1] = (entry[1] or 0.0) + row["cost_usd"]
    return {d: (n, c) for d, (n, c) in days.items()}


@pytest.fixture(scope="module")
def reports(scene: Scene) -> dict:
    """What `report daily --json` (with and without --by-model) and `commits --json` say for the week."""
    found = {}
    for name, args in (("daily", []), ("by_model", ["--by-model"])):
        proc = _cli_json(
            scene, "report", "daily", "--since", SINCE, "--until", UNTIL, "--tz", "UTC", "--json", *args
        )
        found[name] = proc
    found["commits"] = _cli_json(
        scene, "commits", "--since", SINCE, "--until", UNTIL, "--tz", "UTC", "--json"
    )
    return found


def _cli_json(scene: Scene, *args: str) -> dict:
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["--data-dir", str(scene.data), *args]) == 0
    return json.loads(buffer.getvalue())


# --- the scene is what the tests think it is -----------------------------------------------------------


def test_the_scene_plants_every_string_in_the_unredacted_document(scene: Scene) -> None:
    store = scene.store()
    try:
        doc = document_for(store, ExportPeriod.of("week", zone("UTC"), until=date(2026, 3, 8)), "none")
    finally:
        store.close()
    text = json.dumps(doc, ensure_ascii=False)
    assert all(word in text for word in PLANTED.values()), [w for w in PLANTED.values() if w not in text]
    detectors = {f["detector"] for f in doc["findings"]}
    assert {"abandoned_work", "scripted_prompting"} <= detectors
    assert doc["period"]["label"] == "Week of Mon 2 Mar 2026" and not doc["period"]["running"]
    assert doc["previous_period"] == {
        "label": "23 Feb – 1 Mar 2026",
        "since": "2026-02-23",
        "until": "2026-03-01",
    }
    assert doc["previous_totals"]["total_tokens"] == 42_000 and doc["totals"]["commits"] == 2
    assert doc["estimates"]["total_tokens"] == 5_500 and doc["totals"]["estimated_total_tokens"] == 5_500


# --- numbers: every format says what `report daily --json` says ----------------------------------------


def test_json_numbers_equal_the_reports(scene: Scene, reports: dict, tmp_path: Path, capsys) -> None:
    out = tmp_path / "week.json"
    cli_export(capsys, scene, "json", "prompts", out)
    doc = json.loads(out.read_text())
    assert doc["daily_rows"] == reports["by_model"]["rows"]
    for key in ("total_tokens", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
                "cost_usd", "events"):  # fmt: skip
        assert doc["totals"][key] == reports["daily"]["totals"][key], key
    days = by_date(reports["daily"])
    for day in doc["daily"]:
        tokens_, cost = days.get(day["date"], (0, None))
        assert day["total_tokens"] == tokens_
        assert day["cost_usd"] == pytest.approx(cost) if cost is not None else day["cost_usd"] is None
    assert doc["commits"]["rows"] == reports["commits"]["rows"]
    assert doc["commits"]["totals"] == reports["commits"]["totals"]
    assert sum(d["commits"] for d in doc["daily"]) == reports["commits"]["totals"]["commits"] == 2


def test_csv_numbers_equal_the_reports(scene: Scene, reports: dict, tmp_path: Path, capsys) -> None:
    stdout = cli_export(capsys, scene, "csv", "prompts", tmp_path / "week.csv")
    daily = list(csv.DictReader(io.StringIO((tmp_path / "week-daily.csv").read_text())))
    want = reports["by_model"]["rows"]
    assert [
        (r["date"], r["source"], r["model"], int(r["total_tokens"]), r["is_estimate"]) for r in daily
    ] == [
        (r["date"], r["source"], r["model"], r["total_tokens"], "true" if r["is_estimate"] else "false")
        for r in want
    ]
    assert [float(r["cost_usd"]) if r["cost_usd"] else None for r in daily] == [r["cost_usd"] for r in want]
    commits = list(csv.DictReader(io.StringIO((tmp_path / "week-commits.csv").read_text())))
    assert [(r["date"], int(r["tokens"]), int(r["commits"])) for r in commits] == [
        (r["date"], r["tokens"], r["commits"]) for r in reports["commits"]["rows"]
    ]
    sessions = list(csv.DictReader(io.StringIO((tmp_path / "week-sessions.csv").read_text())))
    assert sum(int(r["total_tokens"]) for r in sessions) == reports["daily"]["totals"]["total_tokens"]
    assert "week-daily.csv" in stdout and "week-sessions.csv" in stdout and "week-commits.csv" in stdout


def _row_cells(text: str, day: str) -> str:
    """The line(s) of a readable export that hold one day's row."""
    hits = [line for line in text.splitlines() if day in line and ("$" in line or "—" in line)]
    assert hits, f"no row for {day}"
    return " ".join(hits)


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_readable_formats_show_the_reports_numbers(fmt: str, scene: Scene, reports: dict, tmp_path: Path,
                                                   capsys) -> None:  # fmt: skip
    out = tmp_path / f"week.{fmt}"
    cli_export(capsys, scene, fmt, "prompts", out)
    if fmt == "pdf":
        text = pdf_text(out)
    else:
        text = out.read_text(encoding="utf-8")
        if fmt == "html":
            text = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", text).replace("</tr>", "\n")
    days = by_date(reports["daily"])
    assert len(days) >= 4
    for day, (n, cost) in days.items():
        row = _row_cells(text, day)
        assert tokens(n) in row and money(cost) in row, (day, tokens(n), money(cost), row)
    totals = reports["daily"]["totals"]
    assert tokens(totals["total_tokens"]) in text and money(totals["cost_usd"]) in text
    assert tokens(5_500, estimate=True) in text  # the estimated call is marked
    assert "Continue (estimated)" in text


# --- files, images, self-containment -------------------------------------------------------------------


def test_every_file_is_private_and_markdown_images_sit_beside_it(
    scene: Scene, tmp_path: Path, capsys
) -> None:
    for fmt in FORMATS:
        cli_export(capsys, scene, fmt, "prompts", tmp_path / f"week.{fmt}")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 1 + 2 + 1 + 1 + 3 + 1  # md, its two charts, html, pdf, three csv, json
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((tmp_path / "week_files").stat().st_mode) == 0o700
    text = (tmp_path / "week.md").read_text()
    for name in ("daily.png", "models.png"):
        assert f"(week_files/{name})" in text
        assert (tmp_path / "week_files" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind


def test_html_is_one_self_contained_file(scene: Scene, tmp_path: Path, capsys) -> None:
    for level in LEVELS:
        out = tmp_path / f"{level}.html"
        cli_export(capsys, scene, "html", level, out)
        text = out.read_text(encoding="utf-8")
        images = re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", text)
        assert len(images) == 2 and all(src.startswith("data:image/png;base64,") for src in images)
        assert not re.search(r"\b(?:src|href|action|poster|srcset)\s*=\s*(?![\"']?data:)", text, re.I)
        assert not re.search(r"url\(|@import|<link\b|<script\b|<iframe\b|<object\b", text, re.I)
        if level in (
            "projects",
            "all",
        ):  # below, a commit subject naming a URL is shown as text, never linked
            assert "http://" not in text and "https://" not in text, level


def test_csv_goes_into_one_zip_when_asked(scene: Scene, tmp_path: Path, capsys) -> None:
    out = tmp_path / "week.zip"
    cli_export(capsys, scene, "csv", "projects", out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and [p.name for p in tmp_path.iterdir()] == ["week.zip"]
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["commits.csv", "daily.csv", "sessions.csv"]
        text = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert not [w for w in PLANTED.values() if w in text]


def test_pdf_is_a_real_pdf_from_qt(scene: Scene, tmp_path: Path, capsys) -> None:
    out = tmp_path / "week.pdf"
    cli_export(capsys, scene, "pdf", "prompts", out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(out)
    assert "Week of Mon 2 Mar 2026" in text and "How these numbers were computed" in text


# --- the command and its period rules ------------------------------------------------------------------


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


def test_bad_arguments_exit_2_with_one_line(scene: Scene, tmp_path: Path, capsys) -> None:
    x = str(tmp_path / "x.md")
    cases = [
        ["--format", "doc", "-o", x],
        ["--format", "md"],
        ["--format", "md", "--redact", "some", "-o", x],
        ["--format", "md", "--period", "decade", "-o", x],
        ["--format", "md", "--since", "2026-03-08", "--until", "2026-03-01", "-o", x],
        ["--format", "md", "--since", "2999-01-01", "-o", x],
    ]
    for args in cases:
        capsys.readouterr()
        assert _exit_code(["--data-dir", str(scene.data), "export", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    code, _, err = run_cli(
        capsys, scene, "export", "--format", "md", "-o", str(tmp_path / "nowhere" / "x.md")
    )
    assert code == 1 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


def test_periods_compare_like_with_like() -> None:
    utc = zone("UTC")
    running = ExportPeriod.of("week", utc, today=date(2026, 3, 4))  # a Wednesday
    assert (running.first, running.last, running.through, running.running) == (
        date(2026, 3, 2), date(2026, 3, 8), date(2026, 3, 4), True)  # fmt: skip
    assert running.previous() == (date(2026, 2, 23), date(2026, 2, 25))  # Mon - Wed of last week
    month = ExportPeriod.of("month", utc, today=date(2026, 3, 31))
    assert month.previous() == (date(2026, 2, 1), date(2026, 2, 28)) and month.label() == "March 2026"
    quarter = ExportPeriod.of("quarter", utc, today=date(2026, 5, 10))
    assert (quarter.first, quarter.label(), quarter.previous()) == (
        date(2026, 4, 1), "Q2 2026", (date(2026, 1, 1), date(2026, 2, 9)))  # fmt: skip
    year = ExportPeriod.of("year", utc, until=date(2025, 6, 30), today=date(2026, 3, 4))
    assert (year.first, year.last, year.running) == (date(2025, 1, 1), date(2025, 6, 30), False)
    assert year.label() == "2025, up to Mon 30 Jun 2025"
    custom = ExportPeriod.of(
        "week", utc, since=date(2026, 3, 10), until=date(2026, 3, 19), today=date(2026, 4, 1)
    )
    assert custom.kind == "custom" and custom.previous() == (date(2026, 2, 28), date(2026, 3, 9))
    sunday = ExportPeriod.of("week", utc, "sunday", today=date(2026, 3, 4))
    assert sunday.first == date(2026, 3, 1)
    with pytest.raises(PeriodError):
        ExportPeriod.of("week", utc, since=date(2026, 5, 1), today=date(2026, 4, 1))
    assert ExportPeriod.from_window(Window(tz=utc, since=date(2026, 3, 2), until=date(2026, 3, 8))).days == 7


def test_export_api_for_the_app(scene: Scene, tmp_path: Path, qapp) -> None:
    """What the Export dialog and the tray's "Export week..." call, with the Qt renderer."""
    from desktop.ui.export_render import QtRenderer

    store = scene.store()
    try:
        period = ExportPeriod.of(
            "week", zone("UTC"), store.settings.get("week_start"), today=date(2026, 3, 8)
        )
        summary = export(store, "pdf", period, "projects", tmp_path / "week.pdf", renderer=QtRenderer())
        window = Window(tz=zone("UTC"), since=date(2026, 3, 2), until=date(2026, 3, 8))
        plain = export(store, "md", window, "all", tmp_path / "plain.md")  # no renderer: no charts
    finally:
        store.close()
    assert (
        summary.files == (tmp_path / "week.pdf",) and summary.charts == 2 and summary.redaction == "projects"
    )
    assert summary.period == "Week of Mon 2 Mar 2026" and summary.findings >= 2 and summary.seconds < 10
    assert plain.charts == 0 and "Charts" not in (tmp_path / "plain.md").read_text()


def test_a_pdf_export_never_touches_the_network(scene: Scene, tmp_path: Path) -> None:
    """The command in its own process, as a user runs it: Qt starts offscreen, nothing opens a socket."""
    runner = Path(__file__).with_name("no_network.py")
    env = {
        k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "QT_QPA_PLATFORM")
    }
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"), TZ="UTC",
               PYTHONPATH=str(runner.parent.parent))  # fmt: skip
    for fmt in ("pdf", "html"):
        out = tmp_path / f"week.{fmt}"
        done = subprocess.run([sys.executable, str(runner), "cli", "--data-dir", str(scene.data), "export", "--format",
                               fmt, *WEEK, "-o", str(out)], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert "network attempts" not in done.stderr
        assert out.stat().st_size > 10_000 and "wrote" in done.stdout
