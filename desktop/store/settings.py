"""Settings live in the archive as JSON values; defaults are declared once, as data."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

DEFAULTS: dict[str, Any] = {
    "week_start": "monday",  # monday | sunday | saturday
    "timezone": None,  # None: the system's zone
    "store_prompt_excerpts": True,
    "prompt_excerpt_chars": 120,
    "disabled_sources": [],
    "extra_paths": {},  # source id -> [folders]
    "price_overrides": {},  # model -> {litellm rate field: USD per token}
    "identity_emails": [],
    "commit_link_window_hours": 12,
    "extra_repos": [],  # repositories to read even without sessions in them
    "excluded_repos": [],  # repositories (or folders of them) never read or shown
    "redaction_default": "prompts",
    "autostart": False,
    "notifications": True,  # tray notifications for new findings and the weekly digest
    "pricing_applied": None,  # internal: the price table every row was last priced with
    "ui_state": {},  # table sorts and widths, window geometry: the app's own memory
    "insight_thresholds": {},  # detector threshold overrides (docs/INSIGHTS.md)
}


class Settings:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> Any:
        if key not in DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        row = self._conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else DEFAULTS[key]

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        self._conn.execute(
            "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def all(self) -> dict[str, Any]:
        values = dict(DEFAULTS)
        for key, value in self._conn.execute("SELECT key, value FROM setting"):
            if key in DEFAULTS:
                values[key] = json.loads(value)
        return values
