"""Redaction: every format at every level, on the planted scene of test_export.py; no planted string survives
where its level forbids it (PDF text read back with poppler's pdftotext), pseudonyms hold within one export."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from desktop.cli import main
from desktop.reports.export.redaction import REMOVED_PROMPT, RedactionError, redact
from tests.test_export import (
    BRANCH,
    FILE,
    FOLDER,
    FORMATS,
    LEVELS,
    PLANTED,
    PROMPT,
    REPO,
    SUBDIR,
    SUBJECT,
    URL_WORD,
    WEEK,
    Scene,
    _qt_application_first,  # noqa: F401 (fixture)
    pdf_text,
    scene,  # noqa: F401 (fixture)
)

# what each format shows at `none` (the CSV tables carry no commit subject or edited file)
SHOWN = {fmt: {PROMPT, REPO, SUBDIR, FOLDER, BRANCH, SUBJECT, FILE} for fmt in ("md", "html", "pdf", "json")}
SHOWN["csv"] = {PROMPT, REPO, SUBDIR, FOLDER, BRANCH}
SHOWN["json"] = SHOWN["json"] | {URL_WORD}


@pytest.fixture(scope="module")
def exports(scene: Scene, tmp_path_factory: pytest.TempPathFactory, qapp) -> dict[tuple[str, str], str]:  # noqa: F811
    """(format, level) -> all the text that export wrote, through the command line, each once."""
    out = tmp_path_factory.mktemp("exports")
    texts = {}
    for level in LEVELS:
        for fmt in FORMATS:
            target = out / level / f"week.{fmt}"
            target.parent.mkdir(exist_ok=True)
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(["--data-dir", str(scene.data), "export", "--format", fmt, *WEEK, "--redact", level,
                             "-o", str(target)])  # fmt: skip
            assert code == 0
            if fmt == "pdf":
                text = pdf_text(target)
                text += "\n" + re.sub(r"\s+", "", text)  # a word Qt wrapped inside a table cell, joined again
            elif fmt == "csv":
                text = "\n".join(
                    p.read_text(encoding="utf-8") for p in sorted(target.parent.glob("week-*.csv"))
                )
            else:
                text = target.read_text(encoding="utf-8")
            texts[fmt, level] = text
    return texts


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_planted_string_survives_where_its_level_forbids_it(fmt: str, level: str, exports: dict,
                                                               scene: Scene) -> None:  # noqa: F811  # fmt: skip
    text = exports[fmt, level].casefold()
    found = {word for word in PLANTED.values() if word in text}
    if level == "none":
        assert SHOWN[fmt] <= found, f"the scene is not what this test thinks: {SHOWN[fmt] - found} missing"
    elif level == "prompts":
        assert PROMPT not in found
        assert SHOWN[fmt] - {PROMPT} <= found, "prompts level took out more than prompt text"
    else:
        assert found == set(), f"{fmt} at {level} still shows {found}"
        assert str(scene.base).casefold() not in text and "pytest-of" not in text  # no path at all
    if level == "all":
        assert "session-1" not in text and "project-a" not in text and "subject-1" not in text


def test_pseudonyms_hold_across_one_export(exports: dict) -> None:
    doc = json.loads(exports["json", "projects"])
    repo_rows = [p for p in doc["projects"] if p["project"]]
    assert len(repo_rows) == 1 and repo_rows[0]["commits"] == 2
    repo = repo_rows[0]["project"]
    assert re.fullmatch(r"project-[A-Z]", repo) and repo_rows[0]["name"] == repo
    big, sub, bot, estimated = doc["sessions"]  # in order of their start: Tue 3, Wed 4, Thu 5, Fri 6
    assert (big["project"], big["repository"], big["branch"]) == (repo, repo, "branch-1")
    assert (sub["project"], sub["repository"], sub["branch"]) == (f"{repo}/folder-1", repo, "branch-1")
    assert (
        re.fullmatch(r"project-[A-Z]", bot["project"])
        and bot["project"] != repo
        and bot["repository"] is None
    )
    assert estimated["project"] is None
    ids = [s["session_id"] for s in doc["sessions"]]
    assert len(set(ids)) == 4 and all(re.fullmatch(r"session-\d+", i) for i in ids)
    assert {r["project"] for r in doc["commits"]["rows"]} <= {repo, None}
    # the abandoned session's finding names the same session, project, file and commit as the tables do
    abandoned = next(f for f in doc["findings"] if f["detector"] == "abandoned_work")
    assert abandoned["subject"] == f"claude:{big['session_id']}"
    assert f"claude:{big['session_id']}" in abandoned["summary"] and repo in abandoned["summary"]
    items = {item["kind"]: item for item in abandoned["evidence"]}
    assert items["session"]["project"] == repo and items["file"]["project"] == repo
    assert re.fullmatch(r"file-\d+\.py", items["file"]["path"])
    shown = {(i["sha"], i["subject"]) for i in abandoned["evidence"] if i["kind"] == "commit"}
    linked = {(c["sha"], c["subject"]) for s in doc["sessions"] for c in s["linked_commits"]}
    assert (
        len(shown) == 2 and shown == linked
    )  # the commits of Tue 3 and Wed 4, as the sessions table names them
    assert {(c["sha"], c["subject"]) for c in big["linked_commits"]} < linked
    assert all(
        re.fullmatch(r"commit-\d+", sha) and re.fullmatch(r"subject-\d+", subject) for sha, subject in linked
    )
    assert (
        len({subject for _, subject in linked}) == 2
    )  # two subjects sharing the planted word: two pseudonyms
    scripted = next(f for f in doc["findings"] if f["detector"] == "scripted_prompting")
    assert all(item.get("excerpt") is None and item.get("pattern") is None for item in scripted["evidence"])
    # the readable export of the same level draws the same names
    markdown = exports["md", "projects"]
    assert repo in markdown and f"claude:{big['session_id']}" in markdown and "branch-1" in markdown


def test_all_keeps_totals_and_charts_only(exports: dict) -> None:
    full, bare = json.loads(exports["json", "none"]), json.loads(exports["json", "all"])
    assert not {"projects", "sessions", "commits", "findings"} & set(bare)
    assert (
        bare["totals"] == full["totals"]
        and bare["daily"] == full["daily"]
        and bare["by_model"] == full["by_model"]
    )
    assert bare["findings_count"] == full["findings_count"] and bare["findings_count"]["findings"] >= 2
    markdown = exports["md", "all"]
    assert (
        "![Daily tokens" in markdown
        and "## Projects" not in markdown
        and "Costliest sessions" not in markdown
    )
    assert "their details are left out at this redaction level" in markdown
    assert "session_id" not in exports["csv", "all"] and "project" not in exports["csv", "all"].split("\n")[0]


def test_redaction_rewrites_sentences_and_leaves_names_of_tools_and_models() -> None:
    doc = {
        "title": "AI assistant usage",
        "projects": [{"project": "/home/u/shop", "name": "shop", "delivery_share": 0.5},
                     {"project": "/home/u/claude", "name": "claude", "delivery_share": None}],
        "sessions": [{"source": "claude", "session_id": "abc123", "project": "/home/u/shop/src", "repository": "/home/u/shop",
                      "branch": "feat/x", "models": ["claude-sonnet-4-5"], "first_prompt": "fix the shop cart",
                      "linked_commits": [{"sha": "deadbeef" * 5, "subject": "fix: see https://github.com/u/shop/pull/3",
                                          "method": "weak", "project": "/home/u/shop"}]}],
        "findings": [{"detector": "burn_without_delivery", "subject_kind": "project_day", "subject": "/home/u/shop",
                      "summary": "shop on 2026-03-02: no commit; Session claude:abc123 asked “fix the shop cart”.",
                      "evidence": [{"kind": "note", "text": "no commit of yours in /home/u/shop since"},
                                   {"kind": "pattern", "pattern": "fix the shop cart", "pattern_id": "a1"}],
                      "cannot_tell": "shop work elsewhere"},
                     {"detector": "oversized_model", "subject_kind": "model", "subject": "claude-opus",
                      "summary": "10 short exchanges went to claude-opus", "evidence": [], "cannot_tell": ""}],
        "_folders": {"/home/u/shop/src": "/home/u/shop", "/home/u/claude": "/home/u/claude"},
        "method": [{"title": "Days", "text": "shop is not touched here"}],
    }  # fmt: skip
    prompts = redact(doc, "prompts")
    assert prompts["sessions"][0]["first_prompt"] is None and "_folders" not in prompts
    assert REMOVED_PROMPT in prompts["findings"][0]["summary"] and "fix the shop cart" not in json.dumps(
        prompts
    )
    out = redact(doc, "projects")
    assert [p["project"] for p in out["projects"]] == ["project-A", "project-B"]
    assert [p["name"] for p in out["projects"]] == ["project-A", "project-B"]
    session = out["sessions"][0]
    assert (session["source"], session["models"], session["session_id"]) == (
        "claude",
        ["claude-sonnet-4-5"],
        "session-1",
    )
    assert (session["project"], session["repository"], session["branch"]) == (
        "project-A/folder-1",
        "project-A",
        "branch-1",
    )
    assert (
        session["linked_commits"][0]["sha"] == "commit-1"
        and session["linked_commits"][0]["subject"] == "subject-1"
    )
    burn, oversized = out["findings"]
    assert (
        burn["subject"] == "project-A"
        and burn["evidence"][0]["text"] == "no commit of yours in project-A since"
    )
    assert burn["summary"].startswith("project-A on 2026-03-02") and "claude:session-1" in burn["summary"]
    assert oversized["subject"] == "claude-opus" and oversized["summary"].endswith("claude-opus")
    assert out["method"][0]["text"] == "shop is not touched here"  # our own text names nothing private
    assert "shop" not in json.dumps({k: v for k, v in out.items() if k != "method"})
    assert doc["sessions"][0]["project"] == "/home/u/shop/src"  # the original is left alone
    with pytest.raises(RedactionError):
        redact(doc, "some")
