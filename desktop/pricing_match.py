"""Model-name matching for the offline price table (LOG-FORMATS §4.3). No Qt, no I/O.

Order, as ccusage `PricingMap::find` (plus the per-source candidates of §4.3):

1. Exact keys: the model as written, then per-source candidates (Gemini provider prefixes,
   OpenCode aliases / dotted-version normalization / `<provider>/<model>`, Claude `-fast`
   stripped, Droid `custom:` and `[...]` removed).
2. Containment after lower-casing and mapping `.` and `@` to `-`: the longest key contained in the
   model, else the shortest key that contains it (see KeyMatcher.fuzzy for why not ccusage's rule).
   Containment only counts at name boundaries (not inside a word), and a key ending in a digit
   does not match when the model continues with `-<digits>` (another version: `gpt-5` must not
   price `gpt-5.5`, `claude-opus-4` must not price `claude-opus-4-6`), except for an 8-digit
   date suffix (`claude-sonnet-4-5` does price `claude-sonnet-4-5-20250929`).
3. Aliases (`gpt-5.3-spark` -> `gpt-5.3-codex-spark`).
4. Nothing: the caller reports the model as unpriced, never as $0 (§4.8).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NEVER_PRICED = frozenset({"<synthetic>"})
GEMINI_PREFIXES = ("google/", "gemini/", "vertex_ai/", "openrouter/google/")
OPENCODE_SOURCES = frozenset({"opencode", "kilo"})
OPENCODE_ALIASES = {"gemini-3-pro-high": "gemini-3-pro-preview", "k2p6": "kimi-k2.6"}
ALIASES = {"gpt-5.3-spark": "gpt-5.3-codex-spark"}
FAST_SUFFIX = "-fast"
_DATE_DIGITS = 8
_BRACKETS = re.compile(r"\[[^\]]*\]")


def normalize(name: str) -> str:
    """Lower case, with `.` and `@` mapped to `-` (`claude-sonnet-4.5` == `claude-sonnet-4-5`)."""
    return name.lower().replace(".", "-").replace("@", "-")


def never_priced(model: str | None) -> bool:
    """`<synthetic>` (Claude error notices), empty names and redacted Aider names are never priced."""
    if model is None:
        return True
    name = model.strip()
    return not name or name in NEVER_PRICED or name.rsplit("/", 1)[-1] == "REDACTED"


def _tail_allows(needle: str, tail: str) -> bool:
    if not tail:
        return True
    if tail[0].isalnum():
        return False
    if not (needle[-1].isdigit() and tail[0] == "-"):
        return True
    digits = len(tail) - 1 - len(tail[1:].lstrip("0123456789"))
    if digits == 0:
        return True
    after = tail[1 + digits : 2 + digits]
    return digits == _DATE_DIGITS and (not after or not after.isalnum())


def occurs_at_boundary(haystack: str, needle: str) -> bool:
    """True when `needle` occurs in `haystack` as a whole name part (both already normalized)."""
    if not needle:
        return False
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        before_ok = start == 0 or not haystack[start - 1].isalnum()
        if before_ok and _tail_allows(needle, haystack[end:]):
            return True
        start = haystack.find(needle, start + 1)
    return False


def _dedup(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name and name not in seen:
            seen.add(name)
            out.append(name)
    return out


def candidates(model: str, source: str, provider: str | None = None) -> list[str]:
    """Exact-key candidates in the order they are tried (step 1)."""
    name = model.strip()
    out = [name]
    if source == "claude" and name.endswith(FAST_SUFFIX):
        out.append(name[: -len(FAST_SUFFIX)])
    elif source == "gemini":
        out += [prefix + name for prefix in GEMINI_PREFIXES]
    elif source in OPENCODE_SOURCES:
        # An alias replaces the name: it exists because the name itself matches badly.
        names = _dedup([OPENCODE_ALIASES.get(name, ""), name, name.replace(".", "-")])
        out = names
        if provider:
            out += [f"{provider.replace('-', '_')}/{n}" for n in names]
    elif source == "droid":
        stripped = _BRACKETS.sub("", name).strip()
        out.append(stripped.removeprefix("custom:").strip())
    return _dedup(out)


class KeyMatcher:
    """Resolves a model name to a key of the price table (exact, per-source, containment, alias)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = frozenset(keys)
        # Longest key first, then alphabetical: the first containment hit is the winner.
        self._by_length = [(normalize(k), k) for k in sorted(self._keys, key=lambda k: (-len(k), k))]

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def fuzzy(self, model: str) -> str | None:
        """Step 2 at name boundaries: the longest key inside the model (a dated or decorated name of a
        listed model), else the SHORTEST key containing the model. ccusage takes the longest key
        either way, which prices `claude-3-7-sonnet-20250219` as a US-gov Bedrock region (+20%)
        when LiteLLM lists that model only under provider-prefixed keys."""
        norm = normalize(model.strip())
        if not norm:
            return None
        for norm_key, key in self._by_length:
            if occurs_at_boundary(norm, norm_key):
                return key
        for norm_key, key in reversed(self._by_length):
            if occurs_at_boundary(norm_key, norm):
                return key
        return None

    def resolve(self, model: str | None, source: str, provider: str | None = None) -> str | None:
        if never_priced(model):
            return None
        assert model is not None
        names = candidates(model, source, provider)
        for name in names:
            if name in self._keys:
                return name
        # A Claude `-fast` name is a decoration, not a model: never match it by containment
        # (it would hit e.g. `github_copilot/claude-opus-4.8-fast`).
        plain = [n for n in names if not (source == "claude" and n.endswith(FAST_SUFFIX))]
        for name in plain or names:
            key = self.fuzzy(name)
            if key is not None:
                return key
        alias = ALIASES.get(model.strip())
        if alias is not None:
            return alias if alias in self._keys else self.fuzzy(alias)
        return None


def best_prefix(names: Iterable[str], prefixes: dict[str, float]) -> float | None:
    """Value of the longest prefix (model family) found at a name boundary in any of `names`."""
    normalized = sorted(((normalize(p), v) for p, v in prefixes.items()), key=lambda pv: -len(pv[0]))
    for name in names:
        norm = normalize(name)
        for prefix, value in normalized:
            if occurs_at_boundary(norm, prefix):
                return value
    return None
