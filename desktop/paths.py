"""Every path the app owns comes from here; tests and --data-dir hand in their own root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "tokenmirror"


@dataclass(frozen=True)
class AppPaths:
    data: Path
    config: Path
    logs: Path

    @classmethod
    def default(cls) -> AppPaths:
        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    @classmethod
    def at(cls, root: Path) -> AppPaths:
        """One folder for everything: `--data-dir`, tests and the demo."""
        root = Path(root).expanduser().absolute()
        return cls(data=root, config=root / "config", logs=root / "logs")

    @property
    def database(self) -> Path:
        return self.data / "archive.sqlite"

    @property
    def backups(self) -> Path:
        return self.data / "backups"

    def ensure(self) -> None:
        """Create the folders private to the user (0700): the archive holds prompts' traces."""
        for folder in (self.data, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
            if os.name == "posix":
                os.chmod(folder, 0o700)
