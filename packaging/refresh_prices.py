"""Rebuild resources/prices/litellm_prices.json from a pinned LiteLLM wheel (build time only).

LOG-FORMATS §4.1: the app never imports litellm and never fetches prices on its own. This
script takes LiteLLM's bundled `model_prices_and_context_window_backup.json` out of a pinned
wheel, keeps the entries and fields `desktop/pricing.py` reads, and writes a compact table.

    python packaging/refresh_prices.py                  # pip download litellm==LITELLM_VERSION
    python packaging/refresh_prices.py --wheel X.whl    # use a wheel that is already on disk

Standard library only. The only network access is the optional `pip download`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LITELLM_VERSION = "1.110.2"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "resources" / "prices" / "litellm_prices.json"

_RATE_BASES = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_creation_input_token_cost",
    "cache_read_input_token_cost",
)
_TIERS = ("", "_above_200k_tokens", "_above_272k_tokens")
_SERVICE_TIERS = ("", "_priority")
RATE_FIELDS = frozenset(
    base + tier + service for base in _RATE_BASES for tier in _TIERS for service in _SERVICE_TIERS
) | {"cache_creation_input_token_cost_above_1hr"}
META_FIELDS = frozenset({"litellm_provider", "max_input_tokens", "mode"})
SKIPPED_KEYS = frozenset({"sample_spec"})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def trim_entry(entry: dict) -> dict:
    """The fields pricing reads; non-numeric rates and non-numeric provider extras are dropped."""
    out: dict = {}
    for name, value in entry.items():
        if name in RATE_FIELDS and _is_number(value):
            out[name] = value
        elif name in META_FIELDS and value is not None:
            out[name] = value
        elif name == "provider_specific_entry" and isinstance(value, dict):
            numeric = {k: v for k, v in value.items() if _is_number(v)}
            if numeric:
                out[name] = numeric
    return out


def trim_prices(raw: dict) -> dict[str, dict]:
    """Keep entries that have numeric input AND output per-token rates (ccusage drops the rest)."""
    models: dict[str, dict] = {}
    for key, entry in raw.items():
        if key in SKIPPED_KEYS or not isinstance(entry, dict):
            continue
        base = (entry.get("input_cost_per_token"), entry.get("output_cost_per_token"))
        if not all(_is_number(v) for v in base):
            continue
        models[key] = trim_entry(entry)
    return dict(sorted(models.items()))


def wheel_version(wheel: Path) -> str:
    """The version from the wheel's METADATA, else from its file name."""
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.endswith(".dist-info/METADATA"):
                for line in zf.read(name).decode("utf-8", "replace").splitlines():
                    if line.startswith("Version:"):
                        return line.split(":", 1)[1].strip()
    return wheel.name.split("-")[1]


def download_wheel(version: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--dest", str(dest), f"litellm=={version}"]
    subprocess.run(cmd, check=True)
    wheels = sorted(dest.glob(f"litellm-{version}-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download produced no litellm {version} wheel in {dest}")
    return wheels[0]


def render(models: dict[str, dict], meta: dict) -> str:
    """Compact JSON, one model per line, keys sorted, so diffs between refreshes stay readable."""
    lines = ["{", '"meta": ' + json.dumps(meta, sort_keys=True) + ",", '"models": {']
    items = sorted(models.items())
    for i, (key, entry) in enumerate(items):
        sep = "," if i < len(items) - 1 else ""
        lines.append(json.dumps(key) + ":" + json.dumps(entry, sort_keys=True, separators=(",", ":")) + sep)
    lines += ["}", "}", ""]
    return "\n".join(lines)


def build(wheel: Path, retrieved: dt.date) -> tuple[str, dict]:
    with zipfile.ZipFile(wheel) as zf:
        raw_bytes = zf.read(MEMBER)
    version = wheel_version(wheel)
    models = trim_prices(json.loads(raw_bytes))
    meta = {
        "source": f"litellm {version} model_prices_and_context_window_backup.json",
        "litellm_version": version,
        "retrieved": retrieved.isoformat(),
        "sha256": hashlib.sha256(raw_bytes).hexdigest(),
    }
    return render(models, meta), meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="an already downloaded litellm wheel")
    parser.add_argument("--version", default=LITELLM_VERSION, help="litellm version to pip download")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    today = dt.datetime.now(dt.timezone.utc).date()
    if args.wheel:
        text, meta = build(args.wheel, today)
    else:
        with tempfile.TemporaryDirectory(prefix="litellm-wheel-") as tmp:
            text, meta = build(download_wheel(args.version, Path(tmp)), today)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8", newline="\n")
    count = text.count("\n") - 5
    print(f"wrote {args.out} ({len(text.encode())} bytes, {count} models, "
          f"litellm {meta['litellm_version']}, sha256 {meta['sha256'][:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
