"""Tolerant access to JSON written by other programs: bad bytes replaced, wrong types treated as absent."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import msgspec

from desktop.model import Batch


def decode(raw: bytes | str | None) -> Any:
    """Parse JSON; invalid UTF-8 is replaced rather than failing the record. Raises ValueError."""
    if raw is None:
        raise ValueError("no JSON")
    data = raw.encode("utf-8", errors="replace") if isinstance(raw, str) else bytes(raw)
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        try:
            return msgspec.json.decode(data.decode("utf-8", errors="replace").encode("utf-8"))
        except msgspec.DecodeError as exc:
            raise ValueError(str(exc)) from exc


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def number(value: Any) -> float | None:
    """A finite number (int or float, not bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def positive_cost(value: Any) -> float | None:
    """A cost the tool wrote itself, kept only when it is a positive finite number."""
    found = number(value)
    return found if found is not None and found > 0 else None


def canonical(value: Any) -> bytes:
    """Stable bytes for hashing arguments (key order does not matter)."""
    try:
        return msgspec.json.encode(value, order="sorted")
    except (TypeError, msgspec.EncodeError):
        return repr(value).encode("utf-8", errors="replace")


def load_document(path: Path, batch: Batch, kind: type = dict) -> Any:
    """A whole JSON file whose top level must be `kind` (an object or a list); anything else, or
    bytes that are not JSON, counts as one bad record and gives None."""
    try:
        value = decode(path.read_bytes())
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, kind):
        batch.skipped_lines.append(1)
        return None
    return value
