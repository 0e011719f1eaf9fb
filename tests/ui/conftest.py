"""A small, exact archive for the window: known calls on known days, one repository with known commits.

Today is Wednesday 2026-04-15 (UTC; weeks start on Monday). This week so far is Mon 13 - Wed 15,
compared with Mon 6 - Wed 8:
- Claude Code, shop-api, Mon 13: two calls, 304,500 tokens; one tool error; two prompts
- Codex, api, Tue 14: one call, 52,000 tokens
- Claude Code, shop-api, Tue 7 (last week): one call, 100,000 tokens
- git: shop-api has two commits of mine (Mon 13 with a Claude trailer, Tue 14) and one by a colleague
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from desktop.paths import AppPaths
from desktop.store import Store
from tests.helpers import env_for
from tests.logs import (
    claude_assistant,
    claude_file,
    claude_user,
    codex_file,
    codex_meta,
    codex_prompt,
    codex_tokens,
    codex_turn,
    tool_result,
    tool_use,
    usage,
    write_lines,
)

TODAY = date(2026, 4, 15)
ME = "dev@example.org"
THIS_WEEK_TOKENS = 356_500
LAST_WEEK_TOKENS = 100_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xvfb: runs the real app under Xvfb with a tray (jwm); skipped without them")


def write_usage_logs(home: Path) -> dict[str, str]:
    shop = str(home / "code" / "shop-api")
    api = str(home / "code" / "api")
    path = claude_file(home, "s1", shop)
    write_lines(path, [
        claude_user("2026-04-13T10:00:00.000Z", "Add pagination to the orders endpoint", session="s1", cwd=shop, uuid="p1"),
        claude_assistant("2026-04-13T10:00:05.000Z", "m1", "r1", session="s1", cwd=shop, input=1000, output=500,
                         cache_read=100_000, block=tool_use("t1", "Bash", command="pytest")),
        claude_user("2026-04-13T10:00:09.000Z", tool_result("t1", is_error=True), session="s1", cwd=shop, uuid="tr1"),
        claude_user("2026-04-13T10:01:00.000Z", "run the tests again", session="s1", cwd=shop, uuid="p2"),
        claude_assistant("2026-04-13T10:02:00.000Z", "m2", "r2", session="s1", cwd=shop, input=2000, output=1000,
                         cache_read=200_000),
    ])  # fmt: skip
    write_lines(claude_file(home, "s0", shop), [
        claude_user("2026-04-07T09:00:00.000Z", "Why is the cart slow?", session="s0", cwd=shop, uuid="p0"),
        claude_assistant("2026-04-07T09:00:10.000Z", "m0", "r0", session="s0", cwd=shop, input=500, output=500,
                         cache_read=99_000),
    ])  # fmt: skip
    rollout = codex_file(home, "thread-a", day="2026-04-14")
    write_lines(rollout, [
        codex_meta("2026-04-14T08:00:00.000Z", "thread-a", cwd=api),
        codex_turn("2026-04-14T08:00:01.000Z"),
        codex_prompt("2026-04-14T08:00:02.000Z", "Add a health check"),
        codex_tokens("2026-04-14T08:00:10.000Z", usage(50_000, 40_000, 2_000, 500), usage(50_000, 40_000, 2_000, 500)),
    ])  # fmt: skip
    return {"shop": shop, "api": api}


def git(repo: Path, *args: str, when: str | None = None, email: str = ME) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": email}  # fmt: skip
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    (path / "orders.py").write_text("".join(f"line {i}\n" for i in range(10)))
    git(path, "add", "orders.py")
    git(path, "commit", "-q", "-m", "Paginate orders\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        when="2026-04-13T12:00:00+00:00")
    (path / "cart.py").write_text("".join(f"cart {i}\n" for i in range(5)))
    git(path, "add", "cart.py")
    git(path, "commit", "-q", "-m", "Speed up the cart", when="2026-04-14T15:00:00+00:00")
    (path / "README").write_text("colleague\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "Docs", when="2026-04-14T16:00:00+00:00", email="colleague@example.org")


@pytest.fixture
def home(isolated_home: Path) -> Path:
    places = write_usage_logs(isolated_home)
    make_repo(Path(places["shop"]))
    return isolated_home


@pytest.fixture
def paths(tmp_path: Path) -> AppPaths:
    paths = AppPaths.at(tmp_path / "data")
    paths.ensure()
    store = Store.open(paths.database)
    store.settings.set("identity_emails", [ME])
    store.close()
    return paths


@pytest.fixture
def make_app(qtbot, paths: AppPaths):
    """Build the whole app (tray included, icon not shown) around tmp paths; shut it down after the test."""
    from desktop.ui.app import TokenmirrorApp

    made = []

    def make(home: Path, **kwargs):
        kwargs.setdefault("use_tray", False)
        kwargs.setdefault("watch", False)
        app = TokenmirrorApp(paths, env_for(home), today=lambda: TODAY, **kwargs)
        made.append(app)
        app.start(show_window=False)
        app.settle()
        return app

    yield make
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    for app in made:
        app.shutdown()
        app.deleteLater()  # free the Qt side now, not in random order at interpreter exit
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def app(make_app, home: Path):
    return make_app(home)
