"""JSON: the redacted document itself, everything the readable formats show and the raw numbers behind it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from desktop.reports.export.files import write_private


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write(doc: dict[str, Any], out: Path, charts: dict[str, bytes]) -> list[Path]:
    write_private(out, render(doc))
    return [out]
