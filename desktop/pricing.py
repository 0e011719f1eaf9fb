"""Offline cost of one billed call from the bundled LiteLLM price table (LOG-FORMATS §4).

No Qt, no network: the table is `resources/prices/litellm_prices.json`, produced at build time by
`packaging/refresh_prices.py` from a pinned litellm wheel. Two costs per call (§4.5):

* `usd`: ccusage parity. Claude-style sources tier each token class at 200k separately (§4.4);
  Codex has no tiering and prices cached input at the cache-read rate, else the input rate.
* `bill_usd`: the request-level rule. When the prompt (input incl. cache reads and writes)
  exceeds 200k and the model lists `*_above_200k_tokens` rates, every token of the call,
  output included, is billed at those rates; GPT models with only `*_above_272k_tokens` rates
  use the same rule at 272k (OpenAI's long-context tier, which ccusage does not apply).

Both are multiplied by the fast / priority multiplier (§4.7) and are None for an unknown model
(§4.8: unpriced, never $0).

Packaging: `PriceTable.load()` looks for the JSON files next to the source tree
(`<repo>/resources/prices/`), then in a PyInstaller bundle (`sys._MEIPASS/resources/prices/`),
then as package data `desktop/resources/prices/` through importlib.resources. A non-editable
wheel therefore has to ship the two files as `desktop/resources/prices/*.json`.
"""

# LiteLLM fields read (USD per token):
#   input_cost_per_token, output_cost_per_token                  base rates (entries need both)
#   cache_creation_input_token_cost                              5-minute cache write (default 1.25 x input)
#   cache_read_input_token_cost                                  cache read (default 0.1 x input;
#                                                                Codex: the input rate)
#   {input,output}_cost_per_token_above_{200k,272k}_tokens       long-context tiers
#   cache_{creation,read}_input_token_cost_above_{200k,272k}_tokens
#   provider_specific_entry.fast                                 fast-mode multiplier
# Kept in the table but not read here: cache_creation_input_token_cost_above_1hr (1-hour writes
# are priced at 2 x input like ccusage; equal for current Claude models), the *_priority rates,
# litellm_provider, max_input_tokens, mode.

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.resources
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgspec

from desktop.model import Tokens
from desktop.pricing_match import FAST_SUFFIX, KeyMatcher, best_prefix

PRICES_DIR = Path(__file__).resolve().parent.parent / "resources" / "prices"
TABLE_FILE = "litellm_prices.json"
FAST_FILE = "fast_multipliers.json"
TIER_200K = 200_000
TIER_272K = 272_000
PRICED = "priced"
UNPRICED = "unpriced"

_BASES = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_write": "cache_creation_input_token_cost",
    "cache_read": "cache_read_input_token_cost",
}
_TIER_SUFFIX = {"200k": "_above_200k_tokens", "272k": "_above_272k_tokens"}
#: Per-token USD fields a user override may set (LiteLLM's own names), plus `fast_multiplier`.
OVERRIDE_FIELDS = frozenset(
    [*_BASES.values()] + [f + s for f in _BASES.values() for s in _TIER_SUFFIX.values()] + ["fast_multiplier"]
)


class _Readable(Protocol):
    def read_bytes(self) -> bytes: ...


@dataclass(frozen=True)
class Rates:
    """USD per token for one table entry. Cache rates already carry the ccusage defaults."""

    input: float
    output: float
    cache_write: float  # 5-minute write; 1-hour writes are 2 x input
    cache_read: float
    cache_write_listed: bool = True  # False: cache_write is the 1.25 x input default
    cache_read_listed: bool = True  # False: cache_read is the 0.1 x input default
    input_above_200k: float | None = None
    output_above_200k: float | None = None
    cache_write_above_200k: float | None = None
    cache_read_above_200k: float | None = None
    input_above_272k: float | None = None
    output_above_272k: float | None = None
    cache_write_above_272k: float | None = None
    cache_read_above_272k: float | None = None
    fast_multiplier: float | None = None  # for the source it was looked up for; None = none known
    key: str = ""  # the table key the model resolved to

    def tier(self, name: str) -> tuple[float | None, float | None, float | None, float | None]:
        """(input, output, cache_write, cache_read) of the `200k` or `272k` tier; None = not listed."""
        def above(cls: str) -> float | None:
            return getattr(self, f"{cls}_above_{name}")

        return above("input"), above("output"), above("cache_write"), above("cache_read")


@dataclass(frozen=True)
class Cost:
    usd: float | None  # ccusage-parity rule (computed_cost_usd)
    bill_usd: float | None  # request-level long-context rule (computed_cost_bill_usd)
    status: str  # PRICED or UNPRICED


UNPRICED_COST = Cost(None, None, UNPRICED)


def _num(entry: dict[str, Any], field: str) -> float | None:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _tiered(n: int, base: float, above: float | None) -> float:
    """ccusage `tiered_cost`: the first 200k tokens of a class at base, the rest at `above`."""
    if n <= TIER_200K or above is None:
        return n * base
    return TIER_200K * base + (n - TIER_200K) * above


def _per_class(t: Tokens, r: Rates) -> float:
    """§4.4 Claude-style formula (also Gemini, OpenCode, everything but Codex), per token class."""
    in_above = r.input_above_200k
    return (
        _tiered(t.input_uncached, r.input, in_above)
        + _tiered(t.output_total, r.output, r.output_above_200k)
        + _tiered(t.cache_write_5m, r.cache_write, r.cache_write_above_200k)
        + _tiered(t.cache_write_1h, 2 * r.input, None if in_above is None else 2 * in_above)
        + _tiered(t.cache_read, r.cache_read, r.cache_read_above_200k)
    )


def _long_tier(t: Tokens, r: Rates) -> str | None:
    """The request-level long-context tier this call falls into, if the model has one."""
    if r.input_above_200k is not None:
        return "200k" if t.prompt > TIER_200K else None
    if r.input_above_272k is not None and t.prompt > TIER_272K:
        return "272k"
    return None


def _flat(r: Rates, tier: str | None, codex: bool) -> tuple[float, float, float, float]:
    """One (input, output, cache_write, cache_read) rate set for a whole request."""
    above = r.tier(tier) if tier else (None, None, None, None)
    inp = r.input if above[0] is None else above[0]
    out = r.output if above[1] is None else above[1]
    # Codex (ccusage): a cache rate the table does not list is billed at the input rate.
    cw = above[2] if above[2] is not None else (inp if codex and not r.cache_write_listed else r.cache_write)
    cr = above[3] if above[3] is not None else (inp if codex and not r.cache_read_listed else r.cache_read)
    return inp, out, cw, cr


def _linear(t: Tokens, rates: tuple[float, float, float, float], one_hour_at_2x: bool) -> float:
    inp, out, cw, cr = rates
    write_1h = 2 * inp if one_hour_at_2x else cw
    return (t.input_uncached * inp + t.output_total * out + t.cache_write_5m * cw
            + t.cache_write_1h * write_1h + t.cache_read * cr)


def _read_json(source: Path | _Readable) -> tuple[dict[str, Any], bytes]:
    data = source.read_bytes()
    return msgspec.json.decode(data), data  # a third of json.loads' time: every scan loads the table


def _locate(name: str) -> Path | _Readable | None:
    places: list[Any] = [PRICES_DIR / name]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        places.append(Path(bundle) / "resources" / "prices" / name)
    try:
        places.append(importlib.resources.files("desktop").joinpath("resources", "prices", name))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        pass
    return next((p for p in places if p.is_file()), None)


class PriceTable:
    """The LiteLLM price table, immutable; `rates_for` results are cached per (source, model)."""

    def __init__(self, models: dict[str, dict[str, Any]], version: str,
                 retrieved: dt.date | None = None, fast: dict[str, Any] | None = None) -> None:
        """`models` may still hold entries without both base rates: they are dropped on first use."""
        self._listed = models
        self._usable: dict[str, dict[str, Any]] | None = None
        self._key_matcher: KeyMatcher | None = None
        self.version = version
        self.retrieved = retrieved
        self._fast = {k: v for k, v in (fast or {}).items() if not k.startswith("_") and isinstance(v, dict)}
        self._cache: dict[tuple[str, str, str | None], Rates | None] = {}
        self._recipe: tuple[Path | None, Path | None, dict[str, Any]] | None = None

    # Built on first use: a scan that finds nothing new needs only `version` (8 ms of every rescan)
    @property
    def _models(self) -> dict[str, dict[str, Any]]:
        if self._usable is None:
            self._usable = {k: v for k, v in self._listed.items() if isinstance(v, dict)
                            and _num(v, _BASES["input"]) is not None and _num(v, _BASES["output"]) is not None}  # fmt: skip
        return self._usable

    @property
    def _matcher(self) -> KeyMatcher:
        if self._key_matcher is None:
            self._key_matcher = KeyMatcher(self._models)
        return self._key_matcher

    def __reduce__(self) -> tuple:
        """Pickle a loaded table as how to load it: parse workers rebuild it instead of receiving MBs."""
        if self._recipe is not None:
            return (_rebuild, self._recipe)
        return (PriceTable, (self._models, self.version, self.retrieved, self._fast))

    @classmethod
    def load(cls, path: Path | None = None, fast_path: Path | None = None) -> PriceTable:
        """Read the table (default: the bundled one) and the fast-multiplier overrides.

        `version` is `litellm-<version>+<first 12 hex of the upstream sha256>`; a file without
        that meta gets `custom+<first 12 hex of its own sha256>`.
        """
        table_src = path if path is not None else _locate(TABLE_FILE)
        if table_src is None:
            raise FileNotFoundError(f"bundled price table {TABLE_FILE} not found (looked in {PRICES_DIR})")
        doc, raw = _read_json(table_src)
        models = doc.get("models") if isinstance(doc, dict) else None
        if not isinstance(models, dict):
            raise ValueError(f"{table_src}: not a price table (no 'models' object)")
        meta = doc.get("meta") or {}
        if meta.get("litellm_version") and meta.get("sha256"):
            version = f"litellm-{meta['litellm_version']}+{str(meta['sha256'])[:12]}"
        else:
            version = f"custom+{hashlib.sha256(raw).hexdigest()[:12]}"
        try:
            retrieved = dt.date.fromisoformat(str(meta["retrieved"]))
        except (KeyError, ValueError):
            retrieved = None
        fast_src: Path | _Readable | None = fast_path
        if fast_src is None:
            sibling = Path(path).parent / FAST_FILE if path is not None else None
            fast_src = sibling if sibling is not None and sibling.is_file() else _locate(FAST_FILE)
        fast = _read_json(fast_src)[0] if fast_src is not None else {}
        table = cls(models, version, retrieved, fast)
        table._recipe = (path, fast_path, {})
        return table

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: object) -> bool:
        return key in self._models

    def match_key(self, model: str | None, source: str, provider: str | None = None) -> str | None:
        """The table key `model` resolves to (§4.3), or None when it is unpriced."""
        rates = self.rates_for(model, source, provider=provider)
        return rates.key if rates else None

    def rates_for(self, model: str | None, source: str, provider: str | None = None) -> Rates | None:
        """Rates for a model as a source wrote it; None for unknown, empty and `<synthetic>`."""
        if not model:
            return None
        cache_key = (source, model, provider)
        try:
            return self._cache[cache_key]
        except KeyError:
            pass
        key = self._matcher.resolve(model, source, provider)
        rates = None if key is None else self._build_rates(key, model, source)
        self._cache[cache_key] = rates
        return rates

    def _build_rates(self, key: str, model: str, source: str) -> Rates:
        entry = self._models[key]
        inp = _num(entry, _BASES["input"]) or 0.0
        cw = _num(entry, _BASES["cache_write"])
        cr = _num(entry, _BASES["cache_read"])
        tiers = {f"{cls}_above_{name}": _num(entry, field + suffix)
                 for name, suffix in _TIER_SUFFIX.items() for cls, field in _BASES.items()}
        return Rates(
            input=inp,
            output=_num(entry, _BASES["output"]) or 0.0,
            cache_write=1.25 * inp if cw is None else cw,
            cache_read=0.1 * inp if cr is None else cr,
            cache_write_listed=cw is not None,
            cache_read_listed=cr is not None,
            fast_multiplier=self._fast_multiplier(entry, key, model, source),
            key=key,
            **tiers,
        )

    def _fast_multiplier(self, entry: dict[str, Any], key: str, model: str, source: str) -> float | None:
        """§4.7: LiteLLM `provider_specific_entry.fast`, else the source's overrides, else its default."""
        extra = entry.get("provider_specific_entry")
        listed = _num(extra, "fast") if isinstance(extra, dict) else None
        if listed is not None:
            return listed
        spec = self._fast.get(source) or {}
        found = best_prefix([key, model], spec.get("prefixes") or {})
        default = spec.get("default")
        return found if found is not None else (float(default) if default is not None else None)

    def _multiplier(self, source: str, model: str, speed: str | None, rates: Rates) -> float:
        triggers = (self._fast.get(source) or {}).get("trigger") or ()
        fast = speed in triggers or (source == "claude" and model.strip().endswith(FAST_SUFFIX))
        return rates.fast_multiplier if fast and rates.fast_multiplier is not None else 1.0

    def cost(self, source: str, model: str | None, tokens: Tokens, speed: str | None,
             *, provider: str | None = None) -> Cost:
        """Both computed costs of one call (§4.4-4.7); unknown models give UNPRICED_COST."""
        rates = self.rates_for(model, source, provider=provider)
        if rates is None or model is None:
            return UNPRICED_COST
        mult = self._multiplier(source, model, speed, rates)
        tier = _long_tier(tokens, rates)
        if source == "codex":
            usd = _linear(tokens, _flat(rates, None, codex=True), one_hour_at_2x=False)
            bill = _linear(tokens, _flat(rates, tier, codex=True), one_hour_at_2x=False)
        else:
            usd = _per_class(tokens, rates)
            bill = _linear(tokens, _flat(rates, tier, codex=False), one_hour_at_2x=True)
        return Cost(usd * mult, bill * mult, PRICED)

    def with_overrides(self, overrides: dict[str, dict[str, float]]) -> PriceTable:
        """A new table with user price overrides applied (settings).

        `overrides` maps a model name (a table key, or a name as the logs write it) to fields
        in USD **per token** under LiteLLM's own names, e.g.
        `{"my-model": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05}}`
        ($3 / $15 per Mtok). Allowed: the four base rates, their `_above_200k_tokens` and
        `_above_272k_tokens` variants, and `fast_multiplier`. A name that is not a key starts
        from the entry it resolves to (any source); a name that resolves to nothing must give
        both base rates. The override becomes an exact key, so it applies to that name only.
        Unset cache rates keep following the input rate (1.25x / 0.1x) when the table did not
        list them. `version` gains `+user-<8 hex>` so stored rows show that overrides were used.
        Raises ValueError on an unknown field or a negative / non-finite value.
        """
        models = dict(self._models)
        for name, fields in overrides.items():
            if not isinstance(name, str) or not name.strip() or not isinstance(fields, dict):
                raise ValueError(f"price override {name!r}: expected a model name and a dict of fields")
            base_key = name if name in models else self._matcher.resolve(name, "")
            entry = dict(models[base_key]) if base_key else {}
            for field, value in fields.items():
                if field not in OVERRIDE_FIELDS:
                    raise ValueError(f"price override {name!r}: unknown field {field!r}")
                if isinstance(value, bool) or not isinstance(value, (int, float)) \
                        or not math.isfinite(value) or value < 0:
                    raise ValueError(f"price override {name!r}: {field} must be a number >= 0")
                if field == "fast_multiplier":
                    extra = entry.get("provider_specific_entry")
                    entry["provider_specific_entry"] = {**(extra if isinstance(extra, dict) else {}),
                                                        "fast": float(value)}
                else:
                    entry[field] = float(value)
            if _num(entry, _BASES["input"]) is None or _num(entry, _BASES["output"]) is None:
                raise ValueError(f"price override {name!r}: unknown model needs "
                                 f"{_BASES['input']} and {_BASES['output']}")
            models[name] = entry
        if not overrides:
            return self
        digest = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
        table = PriceTable(models, f"{self.version}+user-{digest}", self.retrieved, self._fast)
        if self._recipe is not None:
            path, fast_path, earlier = self._recipe
            table._recipe = (path, fast_path, {**earlier, **overrides})
        return table


def _rebuild(path: Path | None, fast_path: Path | None, overrides: dict[str, Any]) -> PriceTable:
    return PriceTable.load(path, fast_path).with_overrides(overrides)
