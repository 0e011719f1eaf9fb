"""Redaction levels, each including the one before, applied to the document before any writer sees it.

- none: everything the document holds.
- prompts (default): no prompt text anywhere: excerpts, first prompts, repeated-prompt patterns.
- projects: also project names and paths, working folders, edited file paths, branch names, session ids,
  commit subjects and hashes, and repository URLs, replaced by pseudonyms that are stable within one
  export (the same repository is "project-A" in every table, finding and sentence of it).
- all: totals and charts only: no projects, sessions, commits or findings, just their counts.

Two passes make the projects level hold for text too: the first collects every sensitive value from the
keys that carry one; the second rewrites every string of the document, whole values by lookup and free
text (finding summaries, notes) by replacing each collected value where it appears as a word.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

LEVELS = ("none", "prompts", "projects", "all")
DEFAULT_LEVEL = "prompts"
PROMPT_KEYS = ("excerpt", "pattern", "first_prompt", "prompt", "prompt_text")
REMOVED_PROMPT = "[prompt removed]"
MIN_FREE_TEXT = 2  # shorter values are replaced only where they are a whole value
SKIP_SECTIONS = ("method", "pricing", "period", "previous_period")  # written by us, naming nothing private
SAFE_KEYS = frozenset((
    "source", "name", "model", "models", "alternative_model", "kind", "detector", "severity", "state",
    "subject_kind", "date", "weekday", "start", "end", "ts", "first", "last", "tool", "entrypoint", "args_hash",
    "pattern_id", "what", "method", "title", "generated_at", "app_version", "change",
))  # fmt: skip
FREE_TEXT_KEYS = ("summary", "cannot_tell", "text", "note")  # sentences the detectors write
LEFT_OUT_AT_ALL = ("projects", "commits", "sessions", "findings")
URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://[^\s\"'<>)]+|git@[\w.-]+:[^\s\"'<>)]+)", re.I)
NOTES = {
    "none": "Nothing was redacted: prompt excerpts, project paths, branches and commit subjects appear as stored.",
    "prompts": "Prompt text was left out: no excerpt, first prompt or repeated-prompt text appears.",
    "projects": "Prompt text was left out, and project names and paths, folders, file paths, branches, session "
    "ids, commit subjects and hashes and repository URLs were replaced by pseudonyms that hold within this "
    "export only (project-A is the same repository everywhere in it).",
    "all": "Only totals and charts: no projects, sessions, commits or findings, and no prompt text.",
}


class RedactionError(ValueError):
    pass


def redact(document: dict[str, Any], level: str) -> dict[str, Any]:
    """A redacted copy of the document (the original is left as it was)."""
    if level not in LEVELS:
        raise RedactionError(f"unknown redaction level {level!r} (use one of {', '.join(LEVELS)})")
    doc = copy.deepcopy(document)
    folders = doc.get("_folders") or {}
    for key in [k for k in doc if k.startswith("_")]:
        del doc[key]
    rank = LEVELS.index(level)
    if rank >= 1:
        _drop_prompts(doc)
    if rank >= 2:
        Pseudonyms(folders).apply(doc)
    if rank >= 3:
        for key in LEFT_OUT_AT_ALL:
            doc.pop(key, None)
    doc["redaction"] = level
    doc.setdefault("method", []).append({"title": "Redaction", "text": f'Level "{level}". {NOTES[level]}'})
    return doc


# --- prompts ------------------------------------------------------------------------------------------


def _drop_prompts(doc: dict[str, Any]) -> None:
    texts: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key in PROMPT_KEYS:
                if key in node and isinstance(node[key], str):
                    texts.add(node[key])
                    node[key] = None
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(doc)
    longer = sorted((t for t in texts if len(t.strip()) >= 8), key=len, reverse=True)
    if not longer:
        return
    pattern = re.compile("|".join(re.escape(t) for t in longer))

    def scrub(
        node: Any,
    ) -> None:  # a prompt quoted in a sentence would survive the keys: take it out there too
        if isinstance(node, dict):
            for key, value in node.items():
                if key in FREE_TEXT_KEYS and isinstance(value, str):
                    node[key] = pattern.sub(REMOVED_PROMPT, value)
                else:
                    scrub(value)
        elif isinstance(node, list):
            for value in node:
                scrub(value)

    scrub(doc)


# --- projects -----------------------------------------------------------------------------------------


class Pseudonyms:
    """Stable stand-ins within one export: project-A, project-A/folder-1, branch-1, file-1.py, session-1,
    commit-1 (a hash), subject-1 (a commit subject), repository-url-1."""

    def __init__(self, folders: dict[str, str | None]) -> None:
        self.folders = folders
        self.roots = sorted({r for r in folders.values() if r}, key=len, reverse=True)
        self.names: dict[str, str] = {}  # original -> pseudonym, every namespace
        self.counters: dict[str, int] = {}
        self.letters: dict[str, str] = {}  # project root (or lone folder) -> letter
        self.basenames: dict[str, str] = {}  # a project's folder name -> its pseudonym, for free text

    def apply(self, doc: dict[str, Any]) -> None:
        self._collect(doc)
        whole = self.names
        words = {**self.basenames, **self.names}
        ordered = sorted((w for w in words if len(w) >= MIN_FREE_TEXT), key=len, reverse=True)
        free = (
            re.compile(r"(?<![\w.\-])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w\-])")
            if ordered
            else None
        )

        def rewrite(text: str) -> str:
            if text in whole:
                return whole[text]
            if free is not None:
                text = free.sub(lambda m: words[m.group(0)], text)
            return URL.sub(lambda m: self._numbered("repository-url", m.group(0)), text)

        for key, value in doc.items():
            if key not in SKIP_SECTIONS:
                doc[key] = _rewrite_node(value, rewrite, key)

    # collecting ------------------------------------------------------------------------------------------

    def _collect(self, node: Any, finding: dict | None = None) -> None:
        if isinstance(node, list):
            for item in node:
                self._collect(item, finding)
            return
        if not isinstance(node, dict):
            return
        if "detector" in node and "subject_kind" in node:
            finding = node
            self._finding_subject(node)
        for key in ("project", "repository", "cwd", "root"):
            if isinstance(node.get(key), str):
                self.project(node[key])
        if isinstance(node.get("session_id"), str):
            session = self._numbered("session", node["session_id"])
            if isinstance(
                node.get("source"), str
            ):  # "claude:<id>" in a sentence, matched before a folder "claude"
                self.names.setdefault(f"{node['source']}:{node['session_id']}", f"{node['source']}:{session}")
        if isinstance(node.get("branch"), str):
            self._numbered("branch", node["branch"])
        if isinstance(node.get("path"), str):
            self.file(node["path"])
        if isinstance(node.get("sha"), str):
            self._numbered("commit", node["sha"])
            if isinstance(node.get("subject"), str) and node is not finding:
                self._numbered("subject", node["subject"])
        if "name" in node and "delivery_share" in node and "project" in node:  # a projects row's folder name
            node["name"] = self.project(node["project"]) if node["project"] else None
        for value in node.values():
            if isinstance(value, (dict, list)):
                self._collect(value, finding)

    def _finding_subject(self, finding: dict) -> None:
        subject, kind = finding.get("subject"), finding.get("subject_kind")
        if not isinstance(subject, str):
            return
        if kind == "project_day":
            self.project(subject)
        elif kind == "session" and ":" in subject:
            source, session = subject.split(":", 1)
            self.names[subject] = f"{source}:{self._numbered('session', session)}"

    def project(self, path: str) -> str:
        """A repository is project-X; a folder inside it project-X/folder-N; any other folder its own project."""
        known = self.names.get(path)
        if known:
            return known
        root = self.folders.get(path) or next((r for r in self.roots if _inside(path, r)), None) or path
        letter = self.letters.get(root)
        if letter is None:
            letter = self.letters[root] = _letters(len(self.letters))
            self.names[root] = f"project-{letter}"
            base = _basename(root)
            if base and base not in self.basenames:
                self.basenames[base] = f"project-{letter}"
        if path != root:
            self.names[path] = f"project-{letter}/{self._count('folder-' + letter, 'folder')}"
        return self.names[path]

    def file(self, path: str) -> str:
        if path not in self.names:
            tail = _basename(path)
            dot = tail.rfind(".")
            suffix = tail[dot:] if 0 < dot and len(tail) - dot <= 6 and tail[dot + 1 :].isalnum() else ""
            self.names[path] = self._count("file", "file") + suffix
        return self.names[path]

    def _numbered(self, namespace: str, value: str) -> str:
        if value not in self.names:
            self.names[value] = self._count(namespace, namespace)
        return self.names[value]

    def _count(self, counter: str, word: str) -> str:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return f"{word}-{self.counters[counter]}"


def _inside(path: str, root: str) -> bool:
    base = root.rstrip("/\\")
    return path.startswith((base + "/", base + "\\"))


def _basename(path: str) -> str:
    return re.split(r"[/\\]", path.rstrip("/\\"))[-1]


def _letters(index: int) -> str:
    """A, B, ... Z, AA, AB, ..."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


# --- walking ------------------------------------------------------------------------------------------


def _rewrite_node(node: Any, rewrite: Callable[[str], str], key: str | None = None) -> Any:
    """Rewrite the strings under `node`, except values of SAFE_KEYS (ids, models, dates we wrote)."""
    if isinstance(node, str):
        return node if key in SAFE_KEYS else rewrite(node)
    if isinstance(node, list):
        return [_rewrite_node(v, rewrite, key) for v in node]
    if isinstance(node, dict):
        keep_subject = "subject_kind" in node and node["subject_kind"] not in ("project_day", "session")
        return {
            k: v if keep_subject and k == "subject" else _rewrite_node(v, rewrite, k) for k, v in node.items()
        }
    return node
