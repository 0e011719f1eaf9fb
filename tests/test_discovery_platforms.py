"""Where each registered source looks on macOS and Windows, with the OS and environment faked.

Expected folders are LOG-FORMATS §3's path tables. Windows paths are written with forward slashes
under a fake `/c/Users/dev`: the test checks which folder a source picks, not Windows path syntax.
A source added to the registry without an entry below still gets the generic checks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.sources import SOURCES, Environment, Source

MAC_HOME = Path("/Users/dev")
WIN_HOME = Path("/c/Users/dev")
APPDATA = WIN_HOME / "AppData" / "Roaming"
LOCALAPPDATA = WIN_HOME / "AppData" / "Local"
SUPPORT = MAC_HOME / "Library" / "Application Support"
# LOG-FORMATS §3.6: VS Code-family editors, their remote servers (not on Windows), the extensions' ids
VSCODE_HOSTS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf", "Kiro", "Trae", "Trae CN")
VSCODE_SERVERS = (".vscode-server", ".vscode-server-insiders", ".cursor-server", ".windsurf-server")
VSCODE_EXTENSIONS = {
    "cline": "saoudrizwan.claude-dev",
    "roo": "rooveterinaryinc.roo-cline",
    "kilo": "kilocode.kilo-code",
}


def mac() -> Environment:
    return Environment(home=MAC_HOME, env={"HOME": str(MAC_HOME)}, platform="darwin")


def windows() -> Environment:
    return Environment(home=WIN_HOME, env={"USERPROFILE": str(WIN_HOME), "APPDATA": str(APPDATA),
                                           "LOCALAPPDATA": str(LOCALAPPDATA)}, platform="win32")  # fmt: skip


def app_data(env: Environment) -> Path:
    """~/Library/Application Support on macOS, %APPDATA% on Windows."""
    return SUPPORT if env.platform == "darwin" else APPDATA


def global_storage(env: Environment, h: Path, extension: str) -> list[Path]:
    """`<Host>/User/globalStorage/<extId>` for every VS Code-family host and remote server."""
    users = [app_data(env) / host / "User" for host in VSCODE_HOSTS]
    if env.platform != "win32":
        users += [h / server / "data" / "User" for server in VSCODE_SERVERS]
    return [user / "globalStorage" / extension for user in users]


# id -> (env, home) -> (folders it must look in, further documented folders it may look in).
# Sources not registered yet are checked as soon as they are.
Expectation = Callable[[Environment, Path], tuple[list[Path], list[Path]]]
EXPECTED: dict[str, Expectation] = {
    "claude": lambda env, h: ([h / ".claude" / "projects"], [h / ".config" / "claude" / "projects"]),
    "codex": lambda env, h: ([h / ".codex" / "sessions", h / ".codex" / "archived_sessions"], []),
    "gemini": lambda env, h: ([h / ".gemini" / "tmp"], []),
    "gemini-legacy": lambda env, h: ([h / ".gemini" / "tmp"], []),
    "opencode": lambda env, h: ([h / ".local" / "share" / "opencode"], []),  # xdg-basedir on every OS
    "copilot": lambda env, h: ([h / ".copilot" / "session-state", h / ".copilot" / "history-session-state"], []),
    "amp": lambda env, h: ([h / ".local" / "share" / "amp" / "threads"], []),
    "qwen": lambda env, h: ([h / ".qwen" / "usage", h / ".qwen" / "projects", h / ".qwen" / "tmp"], []),
    "goose": lambda env, h: (
        [SUPPORT / "goose" / "sessions"] if env.platform == "darwin" else [APPDATA / "Block" / "goose" / "data" / "sessions"],
        [h / ".local" / "share" / "goose" / "sessions"],
    ),
    "pi": lambda env, h: ([h / ".pi" / "agent" / "sessions"], []),
    "zed": lambda env, h: ([SUPPORT / "Zed" / "threads"] if env.platform == "darwin" else [LOCALAPPDATA / "Zed" / "threads"], []),
    "droid": lambda env, h: ([h / ".factory" / "sessions"], []),
    "cline": lambda env, h: (
        [app_data(env) / "Code" / "User" / "globalStorage" / VSCODE_EXTENSIONS["cline"]],
        [*global_storage(env, h, VSCODE_EXTENSIONS["cline"]), h / ".cline" / "data"],  # the CLI's classic tasks
    ),
    "roo": lambda env, h: (
        [app_data(env) / "Code" / "User" / "globalStorage" / VSCODE_EXTENSIONS["roo"]],
        global_storage(env, h, VSCODE_EXTENSIONS["roo"]),
    ),
    "kilo": lambda env, h: (
        [app_data(env) / "Code" / "User" / "globalStorage" / VSCODE_EXTENSIONS["kilo"]],
        [*global_storage(env, h, VSCODE_EXTENSIONS["kilo"]), h / ".kilocode" / "globalStorage" / VSCODE_EXTENSIONS["kilo"]],
    ),
    "cline-cli": lambda env, h: ([h / ".cline" / "data" / "sessions"], []),
    "kilo-cli": lambda env, h: ([h / ".local" / "share" / "kilo"], []),
    "cursor": lambda env, h: ([app_data(env) / "Cursor" / "User" / "globalStorage"], []),
    "kiro": lambda env, h: ([h / ".kiro" / "sessions" / "cli", app_data(env) / "Kiro" / "User" / "globalStorage" / "kiro.kiroagent"], []),
    "kiro-cli-db": lambda env, h: ([app_data(env) / "kiro-cli"], []),
    "windsurf": lambda env, h: ([h / ".codeium" / "windsurf" / "cascade"], [h / ".codeium" / "windsurf-next" / "cascade", app_data(env) / "Windsurf"]),
    "continue": lambda env, h: ([h / ".continue" / "dev_data"], []),
    "crush": lambda env, h: ([h / ".local" / "share" / "crush"] if env.platform == "darwin" else [LOCALAPPDATA / "crush"], []),
    "aider": lambda env, h: ([h / ".aider"], []),
    "aider-history": lambda env, h: ([], [h / ".aider"]),  # histories live in the repositories themselves
}  # fmt: skip
# where a source must not follow Linux XDG variables a Windows user happens to have set
APP_DATA_SOURCES = (
    "copilot",
    "goose",
    "zed",
    "cline",
    "roo",
    "kilo",
    "cursor",
    "kiro",
    "kiro-cli-db",
    "windsurf",
)

PLATFORMS = {"darwin": (mac, MAC_HOME), "win32": (windows, WIN_HOME)}
SOURCE_IDS = [s.id for s in SOURCES]


def _source(source_id: str) -> Source:
    return next(s for s in SOURCES if s.id == source_id)


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_roots_are_where_log_formats_says(source_id: str, platform: str) -> None:
    make_env, home = PLATFORMS[platform]
    roots = _source(source_id).roots(make_env())
    # generic: absolute, and only the user's own folders, never the machine running the test
    assert all(root.is_absolute() and _under(root, home) for root in roots), roots
    if source_id not in EXPECTED:
        pytest.skip(f"{source_id}: no expected {platform} folders written here yet")
    required, documented = EXPECTED[source_id](make_env(), home)
    # a root at or below a required folder covers it (a source may name .../globalStorage/<ext>/tasks)
    for folder in required:
        assert any(_under(root, folder) for root in roots), (
            f"{source_id} on {platform} misses {folder}: {roots}"
        )
    allowed = required + documented
    for root in roots:
        assert any(_under(root, folder) for folder in allowed), f"{source_id} on {platform} looks in {root}"


@pytest.mark.parametrize("source_id", [s for s in SOURCE_IDS if s in APP_DATA_SOURCES])
def test_linux_xdg_variables_do_not_leak_into_windows_paths(source_id: str) -> None:
    env = windows()
    leaky = Environment(home=env.home, env={**env.env, "XDG_DATA_HOME": "/xdg/data", "XDG_STATE_HOME": "/xdg/state",
                                            "XDG_CONFIG_HOME": "/xdg/config"}, platform="win32")  # fmt: skip
    assert not [r for r in _source(source_id).roots(leaky) if str(r).startswith("/xdg")]


OVERRIDES = {  # id -> (variable, the folder a root must then lie under)
    "claude": ("CLAUDE_CONFIG_DIR", "/moved/claude"),
    "codex": ("CODEX_HOME", "/moved/codex"),
    "gemini": ("GEMINI_CLI_HOME", "/moved/gemini"),
    "gemini-legacy": ("GEMINI_CLI_HOME", "/moved/gemini"),
    "opencode": ("XDG_DATA_HOME", "/moved/data"),
    "copilot": ("COPILOT_HOME", "/moved/copilot"),
    "amp": ("AMP_DATA_DIR", "/moved/amp"),
    "qwen": ("QWEN_HOME", "/moved/qwen"),
    "goose": ("GOOSE_PATH_ROOT", "/moved/goose"),
    "pi": ("PI_CODING_AGENT_DIR", "/moved/pi"),
    "droid": ("DROID_SESSIONS_DIR", "/moved/droid"),
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("source_id", [s for s in SOURCE_IDS if s in OVERRIDES])
def test_documented_overrides_work_on_macos_and_windows(source_id: str, platform: str) -> None:
    variable, folder = OVERRIDES[source_id]
    base = PLATFORMS[platform][0]()
    env = Environment(home=base.home, env={**base.env, variable: folder}, platform=platform)
    roots = _source(source_id).roots(env)
    assert roots and all(_under(root, Path(folder)) for root in roots), roots


@pytest.mark.parametrize("platform,expected", [
    ("darwin", MAC_HOME / "Library" / "Application Support"),
    ("win32", APPDATA),
    ("linux", Path("/home/dev/.config")),
])  # fmt: skip
def test_app_support_per_platform(platform: str, expected: Path) -> None:
    home = {"darwin": MAC_HOME, "win32": WIN_HOME, "linux": Path("/home/dev")}[platform]
    env = {"APPDATA": str(APPDATA)} if platform == "win32" else {}
    assert Environment(home=home, env=env, platform=platform).app_support() == expected


def test_app_support_without_appdata_falls_back_to_the_profile() -> None:
    assert Environment(home=WIN_HOME, env={}, platform="win32").app_support() == APPDATA


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("source_id,name", [("zed", "threads.db"), ("goose", "sessions.db")])
def test_databases_are_found_at_the_platform_path(
    tmp_path: Path, platform: str, source_id: str, name: str
) -> None:
    """Database sources check their folder for one file: discovery on a faked OS, on a real disk."""
    if source_id not in SOURCE_IDS:
        pytest.skip(f"{source_id} is not registered")
    env = Environment(home=tmp_path, env={"APPDATA": str(tmp_path / "AppData" / "Roaming"),
                                          "LOCALAPPDATA": str(tmp_path / "AppData" / "Local")}, platform=platform)  # fmt: skip
    source = _source(source_id)
    target = source.roots(env)[0] / name
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")
    assert list(source.discover(env, [])) == [str(target)]
