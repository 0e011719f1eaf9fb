"""The only place that runs git: list arguments, no shell, a timeout, and no way for a repository to run code.

A repository's own config is untrusted (a cloned repo can set core.fsmonitor, a pager, diff drivers, a
GPG program). Every call overrides the keys that name programs, turns off system config, hooks, external
diffs and textconv, and runs with a clean environment where only HOME (for the global user.email) and the
variables that point at the global config survive.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0  # seconds for a small call (rev-parse, config, show-ref)
LOG_TIMEOUT = 300.0  # seconds for reading history: a cold read of a very large repository

# Config keys that name a program or change what log prints; a repository's own value must never win
SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.editor=true",
    "core.askPass=",
    "core.sshCommand=",
    "core.untrackedCache=false",
    "diff.external=",
    "diff.renames=false",
    "diff.relative=false",
    "log.showSignature=false",
    "log.mailmap=false",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "color.ui=never",
    "credential.helper=",
    "i18n.logOutputEncoding=UTF-8",
)
# Diff drivers named in a repository's .gitattributes cannot be overridden by -c: refuse them per command
DIFF_COMMANDS = {"log", "diff", "show", "whatchanged"}
NO_DRIVERS = ["--no-ext-diff", "--no-textconv"]
# Kept from the caller's environment: finding git, the global config (user.email), Windows basics
KEPT_ENV = ("PATH", "HOME", "USERPROFILE", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP")


class GitError(Exception):
    """git is missing, timed out, or refused: an environment problem, reported and never fatal."""


def git_env(base: dict[str, str] | None = None) -> dict[str, str]:
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k.upper() in KEPT_ENV}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_NO_REPLACE_OBJECTS="1",  # the history as written, not as replace refs rewrite it
        GIT_ASKPASS="true",
        LC_ALL="C",
        LANG="C",
    )
    return env


def git_binary() -> str:
    found = shutil.which("git")
    if not found:
        raise GitError("git was not found on PATH; commits cannot be read")
    return found


def command(args: list[str], git_dir: Path | None = None) -> list[str]:
    argv = [git_binary(), "--no-pager"]
    for item in SAFE_CONFIG:
        argv += ["-c", item]
    if git_dir is not None:
        argv.append(f"--git-dir={git_dir}")
    args = list(args)
    if args and args[0] in DIFF_COMMANDS:
        args[1:1] = [flag for flag in NO_DRIVERS if flag not in args]
    return argv + args


def _start(argv: list[str], cwd: Path | None, git_dir: Path | None, stdin: bytes | None) -> subprocess.Popen[bytes]:
    """git with the hardened environment, no shell, in a session of its own (a timeout ends git and
    anything it started)."""
    try:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(),
            shell=False,
            start_new_session=os.name == "posix",
        )
    except OSError as exc:
        raise GitError(f"cannot run git in {cwd or git_dir}: {exc}") from exc


def run(
    args: list[str],
    cwd: Path | None = None,
    *,
    git_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command and return its output; GitError when it cannot run or (with check) fails."""
    argv = command(args, git_dir)
    proc = _start(argv, cwd, git_dir, stdin)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill(proc)
        proc.communicate()
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s in {cwd or git_dir}") from exc
    done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    if check and done.returncode != 0:
        raise GitError(f"git {args[0]} failed in {cwd or git_dir}: {_first_line(done.stderr)}")
    return done


def text(args: list[str], cwd: Path | None = None, **kwargs) -> str:
    return run(args, cwd, **kwargs).stdout.decode("utf-8", "replace").strip()


def stream(
    args: list[str],
    *,
    git_dir: Path | None = None,
    cwd: Path | None = None,
    timeout: float = LOG_TIMEOUT,
    stdin: bytes | None = None,
    chunk: int = 1 << 16,
) -> Iterator[bytes]:
    """Yield git's stdout in chunks as it comes: a large history is parsed without holding it all."""
    argv = command(args, git_dir)
    proc = _start(argv, cwd, git_dir, stdin)
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        _kill(proc)

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    feeder = None
    if stdin is not None:
        feeder = threading.Thread(target=_feed, args=(proc, stdin), daemon=True)
        feeder.start()
    try:
        assert proc.stdout is not None
        while True:
            data = proc.stdout.read(chunk)
            if not data:
                break
            yield data
        code = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            _kill(proc)
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    drain.join()
    if feeder:
        feeder.join()
    if expired.is_set():
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s in {cwd or git_dir}")
    if code != 0:
        raise GitError(f"git {args[0]} failed in {cwd or git_dir}: {_first_line(b''.join(errors))}")


def _kill(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass  # already gone


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # git exited early; its exit code tells why


def _first_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0].strip() if lines else "no message"
