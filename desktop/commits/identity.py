"""Who "me" is: user.email from the global git config and each repository's, plus the emails in settings."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from desktop.commits import git
from desktop.commits.git import GitError
from desktop.store import Store
from desktop.store import commit_queries


def normalize(email: str) -> str:
    return email.strip().strip("<>").strip().lower()


def looks_like_email(text: str) -> bool:
    value = normalize(text)
    local, at, domain = value.partition("@")
    return bool(local and at and domain) and not any(c.isspace() for c in value)


def global_emails() -> set[str]:
    """user.email of the global config (HOME's, or GIT_CONFIG_GLOBAL's); never the system config."""
    try:
        out = git.text(["config", "--global", "--get-all", "user.email"], check=False)
    except GitError:
        return set()
    return {normalize(line) for line in out.splitlines() if line.strip()}


def repo_emails(git_dir: Path) -> set[str]:
    """user.email set in this repository's own config (the global one is read once, separately)."""
    out = git.text(["config", "--local", "--get-all", "user.email"], git_dir=git_dir, check=False)
    return {normalize(line) for line in out.splitlines() if line.strip()}


def setting_emails(store: Store) -> set[str]:
    return {normalize(e) for e in store.settings.get("identity_emails") or [] if str(e).strip()}


def my_emails(store: Store, global_ones: Iterable[str] | None = None) -> set[str]:
    """Every email that is "me": settings, the global config, and each repository's last known config."""
    emails = setting_emails(store)
    emails |= set(global_emails() if global_ones is None else global_ones)
    for stored in commit_queries.repo_emails(store.conn):
        emails |= {normalize(e) for e in json.loads(stored or "[]")}
    return {e for e in emails if e}


def add_email(store: Store, email: str) -> bool:
    """True when the email was new."""
    current = list(store.settings.get("identity_emails") or [])
    value = normalize(email)
    if value in {normalize(e) for e in current}:
        return False
    store.settings.set("identity_emails", current + [value])
    return True


def remove_email(store: Store, email: str) -> bool:
    """True when the email was in settings (emails from git config are not settings and stay)."""
    current = list(store.settings.get("identity_emails") or [])
    value = normalize(email)
    kept = [e for e in current if normalize(e) != value]
    if len(kept) == len(current):
        return False
    store.settings.set("identity_emails", kept)
    return True


def identity_list(store: Store) -> list[dict]:
    """Each email that is "me", with where it comes from."""
    found: dict[str, set[str]] = {}
    for email in setting_emails(store):
        found.setdefault(email, set()).add("settings")
    for email in global_emails():
        found.setdefault(email, set()).add("git global config")
    for root, stored in commit_queries.repo_emails_by_root(store.conn):
        for email in json.loads(stored or "[]"):
            found.setdefault(normalize(email), set()).add(f"repository {root}")
    return [{"email": e, "from": sorted(found[e])} for e in sorted(found)]
