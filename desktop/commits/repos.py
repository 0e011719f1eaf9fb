"""From a working directory to the repository that holds it: worktrees and submodules resolved with git."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.commits import git
from desktop.commits.git import GitError

log = logging.getLogger(__name__)

# Settings the lead declares in DEFAULTS; read tolerantly so an older settings table cannot break a scan
EXTRA_REPOS = "extra_repos"  # [path]: repositories to read even without sessions in them
EXCLUDED_REPOS = "excluded_repos"  # [path]: repositories (or folders of them) never read nor shown


@dataclass(frozen=True)
class RepoLocation:
    """Where a repository lives. `root` names the project; `toplevel` is the work tree holding the cwd."""

    root: Path  # the main work tree (a worktree's or a linked checkout's repository), or the bare git dir
    git_dir: Path  # the common git dir: every worktree of the repository shares it
    toplevel: Path  # the work tree the cwd is in, as the cwd spelled it (tool file paths use that spelling)


def setting_list(store: Any, key: str) -> list[str]:
    try:
        value = store.settings.get(key)
    except KeyError:
        return []
    return [str(v) for v in value or [] if v]


def find_git_marker(cwd: str) -> Path | None:
    """The nearest folder at or above cwd holding `.git` (a folder, or a worktree's/submodule's file)."""
    try:
        path = Path(os.path.abspath(os.path.expanduser(cwd)))
    except (OSError, ValueError):
        return None
    for folder in (path, *path.parents):
        try:
            if (folder / ".git").exists():
                return folder
        except OSError:
            return None
    return None


def locate(cwd: str, cache: dict[Path, RepoLocation | None] | None = None) -> RepoLocation | None:
    """The repository holding cwd, or None when cwd is in none. A deleted cwd resolves through its parents.

    `cache` (marker folder -> answer) spares a git call for each further cwd inside the same work tree.
    """
    folder = find_git_marker(cwd)
    if folder is None:
        return None
    if cache is not None:
        if folder not in cache:
            cache[folder] = _locate_marker(folder)
        return cache[folder]
    return _locate_marker(folder)


def _locate_marker(folder: Path) -> RepoLocation | None:
    try:
        out = git.text(
            ["rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir", "--show-toplevel"], cwd=folder
        ).splitlines()
    except GitError as exc:
        log.info("not reading %s: %s", folder, exc)
        return None
    if len(out) < 3:
        return None
    git_dir, common, toplevel = Path(out[0]), Path(out[1]), Path(out[2])
    if git_dir == common:
        root = toplevel  # a plain repository, a submodule or a --separate-git-dir checkout
    else:
        root = _main_work_tree(common)  # a linked worktree: the project is its main repository
    return RepoLocation(root=root, git_dir=common, toplevel=folder)


def _main_work_tree(common: Path) -> Path:
    if common.name == ".git":
        return common.parent
    try:  # a submodule's worktree: its modules dir names the submodule's checkout in core.worktree
        configured = git.text(["config", "--get", "core.worktree"], git_dir=common, check=False)
    except GitError:
        configured = ""
    if configured:
        return Path(os.path.normpath(common / configured))
    return common  # a bare repository with worktrees: the git dir is all there is


def is_excluded(root: str, excluded: list[str]) -> bool:
    """Excluded when the root is, or is under, a path the user excluded."""
    root_path = Path(root)
    for item in excluded:
        try:
            folder = Path(os.path.abspath(os.path.expanduser(item)))
        except (OSError, ValueError):
            continue
        if root_path == folder or folder in root_path.parents:
            return True
        try:
            resolved = folder.resolve()
        except OSError:
            continue
        if root_path == resolved or resolved in root_path.parents:
            return True
    return False


def display_name(root: Path) -> str:
    return root.name or str(root)


def repo_problem(root: str, git_dir: str | None) -> str | None:
    """Why a known repository cannot be read now (moved or deleted), or None when it is there."""
    if not Path(root).exists():
        return f"{root} is gone (moved or deleted); its commits stay in the archive"
    if not git_dir or not Path(git_dir).exists():
        return f"{root} is no longer a git repository; its commits stay in the archive"
    return None
