"""Pricing (LOG-FORMATS §4): exact costs from real entries of the bundled LiteLLM table.

Every expected value is worked out by hand from the rates read out of the JSON (stated in the
comments and asserted first, so a table refresh that changes a rate fails loudly, not subtly).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import socket
from pathlib import Path

import pytest

from desktop.model import Tokens
from desktop.pricing import PRICED, UNPRICED, Cost, PriceTable, Rates

REPO = Path(__file__).resolve().parent.parent
TABLE = REPO / "resources" / "prices" / "litellm_prices.json"
approx = lambda x: pytest.approx(x, rel=1e-12)  # noqa: E731


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pricing is offline: any socket use fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pricing opened a socket")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


def rate(raw: dict, key: str, field: str) -> float:
    return raw["models"][key][field]


# --- table and version ------------------------------------------------------------------------

def test_version_and_retrieved(table: PriceTable, raw: dict) -> None:
    meta = raw["meta"]
    assert meta["litellm_version"] == "1.110.2"
    assert table.version == "litellm-1.110.2+" + meta["sha256"][:12]
    assert isinstance(table.retrieved, dt.date)
    assert table.retrieved.isoformat() == meta["retrieved"]
    assert TABLE.stat().st_size < 1_500_000
    assert len(table) == len(raw["models"]) > 3000
    assert all("input_cost_per_token" in e and "output_cost_per_token" in e for e in raw["models"].values())
    assert "sample_spec" not in raw["models"]


def test_load_explicit_path_without_meta(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"m": {"input_cost_per_token": 1e-06,
                                                 "output_cost_per_token": 2e-06}}}))
    t = PriceTable.load(path)
    assert t.version.startswith("custom+") and len(t.version) == len("custom+") + 12
    assert t.retrieved is None
    assert t.cost("claude", "m", Tokens(input_uncached=10, output=5), None).usd == approx(10e-06 + 10e-06)


# --- Claude-style formula (per class, §4.4) ---------------------------------------------------

def test_claude_sonnet_4_5_basic(table: PriceTable, raw: dict) -> None:
    for key in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"):
        assert rate(raw, key, "input_cost_per_token") == 3e-06
        assert rate(raw, key, "output_cost_per_token") == 1.5e-05
        assert rate(raw, key, "cache_creation_input_token_cost") == 3.75e-06
        assert rate(raw, key, "cache_read_input_token_cost") == 3e-07
        t = Tokens(input_uncached=1_000, cache_read=20_000, cache_write_5m=3_000, output=500)
        c = table.cost("claude", key, t, None)
        # 1000*3e-6 + 500*1.5e-5 + 3000*3.75e-6 + 20000*3e-7 = 0.003 + 0.0075 + 0.01125 + 0.006
        assert c.status == PRICED
        assert c.usd == approx(0.02775)
        assert c.bill_usd == approx(0.02775)
        assert table.rates_for(key, "claude").key == key


def test_one_hour_cache_writes_at_twice_input(table: PriceTable) -> None:
    # claude-sonnet-4-5: input 3e-6 -> 1h write 6e-6; 5m write 3.75e-6
    t = Tokens(cache_write_5m=4_000, cache_write_1h=10_000)
    c = table.cost("claude", "claude-sonnet-4-5", t, None)
    assert c.usd == approx(4_000 * 3.75e-06 + 10_000 * 6e-06)  # 0.015 + 0.06
    assert c.bill_usd == approx(0.075)


def test_reasoning_not_in_output_priced_at_output_rate(table: PriceTable) -> None:
    # claude-sonnet-4-5 output 1.5e-5: 300 output + 700 separate reasoning = 1000 output tokens
    separate = Tokens(output=300, reasoning=700, reasoning_in_output=False)
    inside = Tokens(output=300, reasoning=700, reasoning_in_output=True)
    assert table.cost("claude", "claude-sonnet-4-5", separate, None).usd == approx(1_000 * 1.5e-05)
    assert table.cost("claude", "claude-sonnet-4-5", inside, None).usd == approx(300 * 1.5e-05)


def test_claude_above_200k_per_class_vs_request(table: PriceTable, raw: dict) -> None:
    key = "claude-sonnet-4-5-20250929-v1:0"  # Bedrock id, the entry that lists the 200k tier
    expect = {"input_cost_per_token": 3e-06, "input_cost_per_token_above_200k_tokens": 6e-06,
              "output_cost_per_token": 1.5e-05, "output_cost_per_token_above_200k_tokens": 2.25e-05,
              "cache_creation_input_token_cost": 3.75e-06,
              "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
              "cache_read_input_token_cost": 3e-07, "cache_read_input_token_cost_above_200k_tokens": 6e-07}
    for field, value in expect.items():
        assert rate(raw, key, field) == value
    t = Tokens(input_uncached=10, cache_read=250_000, cache_write_5m=1_000, cache_write_1h=2_000, output=800)
    c = table.cost("claude", key, t, None)
    # per class: only cache_read crosses 200k: 200k*3e-7 + 50k*6e-7
    usd = 10 * 3e-06 + 800 * 1.5e-05 + 1_000 * 3.75e-06 + 2_000 * 6e-06 + (200_000 * 3e-07 + 50_000 * 6e-07)
    assert usd == pytest.approx(0.11778)
    assert c.usd == approx(usd)
    # request level: prompt 253,010 > 200k -> every token at the tier rates, 1h write 2*6e-6
    bill = 10 * 6e-06 + 800 * 2.25e-05 + 1_000 * 7.5e-06 + 2_000 * 1.2e-05 + 250_000 * 6e-07
    assert bill == pytest.approx(0.19956)
    assert c.bill_usd == approx(bill)


def test_claude_fast_multiplier(table: PriceTable, raw: dict) -> None:
    # claude-opus-4-6: input 5e-6, output 2.5e-5; LiteLLM lists no `fast` -> override 6.0
    assert "fast" not in raw["models"]["claude-opus-4-6"].get("provider_specific_entry", {})
    t = Tokens(input_uncached=100, output=1_000)
    base = 100 * 5e-06 + 1_000 * 2.5e-05  # 0.0255
    assert table.cost("claude", "claude-opus-4-6", t, None).usd == approx(base)
    assert table.cost("claude", "claude-opus-4-6", t, "standard").usd == approx(base)
    fast = table.cost("claude", "claude-opus-4-6", t, "fast")
    assert fast.usd == approx(base * 6.0) and fast.bill_usd == approx(0.153)
    # the `<model>-fast` name is the same model, fast
    assert table.cost("claude", "claude-opus-4-6-fast", t, None).usd == approx(0.153)
    assert table.rates_for("claude-opus-4-6-fast", "claude").key == "claude-opus-4-6"
    # claude-opus-4-8: LiteLLM provider_specific_entry.fast = 2.0 (same base rates)
    assert raw["models"]["claude-opus-4-8"]["provider_specific_entry"]["fast"] == 2.0
    assert table.cost("claude", "claude-opus-4-8", t, "fast").usd == approx(base * 2.0)
    # `priority` is not a Claude trigger
    assert table.cost("claude", "claude-opus-4-6", t, "priority").usd == approx(base)


# --- Codex (§4.4: no tiering, cached input at the cache-read rate) ---------------------------

def test_codex_cached_input(table: PriceTable, raw: dict) -> None:
    for key in ("gpt-5-codex", "gpt-5"):
        assert rate(raw, key, "input_cost_per_token") == 1.25e-06
        assert rate(raw, key, "cache_read_input_token_cost") == 1.25e-07
        assert rate(raw, key, "output_cost_per_token") == 1e-05
        # output 2000 already includes 1500 reasoning (reasoning_in_output=True): never added again
        t = Tokens(input_uncached=8_000, cache_read=92_000, output=2_000, reasoning=1_500)
        c = table.cost("codex", key, t, None)
        # 8000*1.25e-6 + 92000*1.25e-7 + 2000*1e-5 = 0.01 + 0.0115 + 0.02
        assert c.usd == approx(0.0415)
        assert c.bill_usd == approx(0.0415)


def test_codex_without_cache_read_rate_uses_input_rate(table: PriceTable, raw: dict) -> None:
    # gpt-4: input 3e-5, output 6e-5, no cache_read_input_token_cost
    assert "cache_read_input_token_cost" not in raw["models"]["gpt-4"]
    assert rate(raw, "gpt-4", "input_cost_per_token") == 3e-05
    t = Tokens(input_uncached=100, cache_read=900, output=10)
    assert table.cost("codex", "gpt-4", t, None).usd == approx(1_000 * 3e-05 + 10 * 6e-05)
    # other sources fall back to the ccusage default 0.1 x input
    assert table.cost("claude", "gpt-4", t, None).usd == approx(100 * 3e-05 + 900 * 3e-06 + 10 * 6e-05)


def test_codex_priority_and_fast_multipliers(table: PriceTable) -> None:
    t = Tokens(input_uncached=8_000, cache_read=92_000, output=2_000)
    # gpt-5: no LiteLLM fast, no prefix override -> default 2.0
    assert table.cost("codex", "gpt-5", t, "priority").usd == approx(0.0415 * 2.0)
    assert table.cost("codex", "gpt-5", t, "fast").usd == approx(0.083)
    # gpt-5.5: input 5e-6, cache_read 5e-7, output 3e-5; override 2.5
    base = 8_000 * 5e-06 + 92_000 * 5e-07 + 2_000 * 3e-05  # 0.04 + 0.046 + 0.06
    assert table.cost("codex", "gpt-5.5", t, None).usd == approx(base)
    assert table.cost("codex", "gpt-5.5", t, "priority").usd == approx(base * 2.5)
    assert table.rates_for("gpt-5.4", "codex").fast_multiplier == 2.0
    assert table.rates_for("gpt-5.3-codex", "codex").fast_multiplier == 2.0


def test_codex_long_context_only_in_bill(table: PriceTable, raw: dict) -> None:
    key = "gpt-5.4"
    assert rate(raw, key, "input_cost_per_token") == 2.5e-06
    assert rate(raw, key, "input_cost_per_token_above_272k_tokens") == 5e-06
    assert rate(raw, key, "cache_read_input_token_cost") == 2.5e-07
    assert rate(raw, key, "cache_read_input_token_cost_above_272k_tokens") == 5e-07
    assert rate(raw, key, "output_cost_per_token") == 1.5e-05
    assert rate(raw, key, "output_cost_per_token_above_272k_tokens") == 2.25e-05
    t = Tokens(input_uncached=100_000, cache_read=200_000, output=1_000)  # prompt 300k > 272k
    c = table.cost("codex", key, t, None)
    assert c.usd == approx(100_000 * 2.5e-06 + 200_000 * 2.5e-07 + 1_000 * 1.5e-05)  # 0.315, no tiering
    assert c.bill_usd == approx(100_000 * 5e-06 + 200_000 * 5e-07 + 1_000 * 2.25e-05)  # 0.6225
    small = Tokens(input_uncached=100_000, cache_read=100_000, output=1_000)  # 200k <= 272k
    assert table.cost("codex", key, small, None).bill_usd == table.cost("codex", key, small, None).usd


# --- Gemini (prefix candidates, thoughts, 200k tier) -----------------------------------------

def test_gemini_prefix_match_and_thoughts(table: PriceTable, raw: dict) -> None:
    assert "gemini-3-pro-preview" not in raw["models"]
    key = "vertex_ai/gemini-3-pro-preview"
    assert table.rates_for("gemini-3-pro-preview", "gemini").key == key
    assert rate(raw, key, "input_cost_per_token") == 2e-06
    assert rate(raw, key, "cache_read_input_token_cost") == 2e-07
    assert rate(raw, key, "output_cost_per_token") == 1.2e-05
    t = Tokens(input_uncached=5_000, cache_read=15_000, output=400, reasoning=600, reasoning_in_output=False)
    c = table.cost("gemini", "gemini-3-pro-preview", t, None)
    # 5000*2e-6 + 15000*2e-7 + (400+600)*1.2e-5 = 0.01 + 0.003 + 0.012
    assert c.usd == approx(0.025) and c.bill_usd == approx(0.025)
    # a Claude/Codex speed flag means nothing for Gemini
    assert table.cost("gemini", "gemini-3-pro-preview", t, "fast").usd == approx(0.025)


def test_gemini_2_5_pro_above_200k(table: PriceTable, raw: dict) -> None:
    key = "gemini-2.5-pro"
    assert rate(raw, key, "input_cost_per_token") == 1.25e-06
    assert rate(raw, key, "input_cost_per_token_above_200k_tokens") == 2.5e-06
    assert rate(raw, key, "output_cost_per_token") == 1e-05
    assert rate(raw, key, "output_cost_per_token_above_200k_tokens") == 1.5e-05
    assert rate(raw, key, "cache_read_input_token_cost") == 1.25e-07
    assert rate(raw, key, "cache_read_input_token_cost_above_200k_tokens") == 2.5e-07
    t = Tokens(input_uncached=150_000, cache_read=100_000, output=4_000, reasoning=1_000,
               reasoning_in_output=False)
    c = table.cost("gemini", key, t, None)
    # per class: no class above 200k: 150000*1.25e-6 + 5000*1e-5 + 100000*1.25e-7
    assert c.usd == approx(0.1875 + 0.05 + 0.0125)
    # request: prompt 250k -> 150000*2.5e-6 + 5000*1.5e-5 + 100000*2.5e-7
    assert c.bill_usd == approx(0.375 + 0.075 + 0.025)
    # one class above 200k, per class: 200000*1.25e-6 + 50000*2.5e-6
    big = table.cost("gemini", key, Tokens(input_uncached=250_000), None)
    assert big.usd == approx(0.25 + 0.125)
    assert big.bill_usd == approx(250_000 * 2.5e-06)


# --- unpriced (§4.8) ----------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["unknown-model-xyz", "<synthetic>", "", None, "anthropic/REDACTED"])
def test_unpriced_is_none_never_zero(table: PriceTable, model: str | None) -> None:
    c = table.cost("claude", model, Tokens(input_uncached=1_000, output=1_000), None)
    assert c == Cost(None, None, UNPRICED)
    assert table.rates_for(model, "claude") is None  # type: ignore[arg-type]


def test_match_cache_returns_same_object(table: PriceTable) -> None:
    first = table.rates_for("claude-sonnet-4-5-20250929", "claude")
    assert isinstance(first, Rates)
    assert table.rates_for("claude-sonnet-4-5-20250929", "claude") is first


# --- matching rules on a tiny table -------------------------------------------------------------

def test_containment_prefers_the_listed_model_and_respects_versions() -> None:
    t = PriceTable({name: {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06} for name in
                    ["gpt-5", "claude-sonnet-4-5", "claude-opus-4", "vertex_ai/claude-sonnet-4-5@20250929"]},
                   "test")
    # the listed model inside a dated name wins over a provider-prefixed key that contains it
    assert t.match_key("claude-sonnet-4-5-20250929", "claude") == "claude-sonnet-4-5"
    # `.`/`@` -> `-`
    assert t.match_key("claude-sonnet-4.5", "claude") == "claude-sonnet-4-5"
    assert t.match_key("claude-sonnet-4-5-20990101", "claude") == "claude-sonnet-4-5"  # date suffix
    assert t.match_key("gpt-5.9", "codex") is None  # another version, not gpt-5
    assert t.match_key("claude-opus-4-6", "claude") is None
    assert t.match_key("gpt-5-codex-mini", "codex") == "gpt-5"
    assert t.match_key("gpt-50", "codex") is None  # not at a name boundary
    assert t.match_key("gpt-5.3-spark", "codex") is None  # alias target absent here


def test_model_listed_only_under_provider_keys_takes_the_closest(table: PriceTable) -> None:
    """LiteLLM lists claude-3-7-sonnet only as Bedrock/Vertex ids; the US-gov region costs 20% more."""
    assert table.match_key("claude-3-7-sonnet-20250219", "claude") == "anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert table.rates_for("claude-3-7-sonnet-20250219", "claude").input == pytest.approx(3e-06)


def test_opencode_candidates() -> None:
    t = PriceTable({name: {"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}
                    for name in ["my_provider/model-x", "kimi-k2.6", "zzz/long-name/k2p6-turbo"]}, "test")
    assert t.match_key("model-x", "opencode", provider="my-provider") == "my_provider/model-x"
    assert t.match_key("k2p6", "opencode") == "kimi-k2.6"  # alias before containment


# --- user overrides -----------------------------------------------------------------------------

def test_overrides(table: PriceTable) -> None:
    t2 = table.with_overrides({
        "my-local-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
        "claude-sonnet-4-5": {"output_cost_per_token": 2e-05},
        "gpt-4": {"input_cost_per_token": 1e-05},
    })
    assert t2.version.startswith(table.version + "+user-") and len(t2.version) == len(table.version) + 14
    own = t2.cost("aider", "my-local-model", Tokens(input_uncached=1_000, output=500), None)
    assert own.usd == approx(1_000 * 1e-06 + 500 * 2e-06)
    # only the output rate changed: input 3e-6 and cache read 3e-7 stay
    t = Tokens(input_uncached=1_000, cache_read=10_000, output=100)
    assert t2.cost("claude", "claude-sonnet-4-5", t, None).usd == approx(0.003 + 0.003 + 100 * 2e-05)
    assert table.cost("claude", "claude-sonnet-4-5", t, None).usd == approx(0.003 + 0.003 + 100 * 1.5e-05)
    # gpt-4 lists no cache rates: the 0.1 x input default follows the new input rate
    assert t2.rates_for("gpt-4", "claude").cache_read == approx(1e-06)
    assert "my-local-model" not in table and table.rates_for("my-local-model", "aider") is None
    assert table.with_overrides({}) is table


def test_override_fast_multiplier_and_fuzzy_base(table: PriceTable) -> None:
    t2 = table.with_overrides({"claude-sonnet-4-20250514": {"fast_multiplier": 3.0}})
    assert t2.match_key("claude-sonnet-4-20250514", "claude") == "claude-sonnet-4-20250514"
    base = table.rates_for("claude-sonnet-4-20250514", "claude")
    t = Tokens(input_uncached=1_000, output=1_000)
    assert t2.cost("claude", "claude-sonnet-4-20250514", t, "fast").usd == approx(
        3.0 * (1_000 * base.input + 1_000 * base.output))


@pytest.mark.parametrize("bad", [
    {"unknown-model-q": {"output_cost_per_token": 1e-06}},
    {"claude-sonnet-4-5": {"input_cost_per_mtok": 3.0}},
    {"claude-sonnet-4-5": {"input_cost_per_token": -1e-06}},
    {"claude-sonnet-4-5": {"input_cost_per_token": float("nan")}},
    {"claude-sonnet-4-5": {"input_cost_per_token": "3e-6"}},
])
def test_bad_overrides_raise(table: PriceTable, bad: dict) -> None:
    with pytest.raises(ValueError):
        table.with_overrides(bad)


# --- refresh script (no network: only its pure functions) ---------------------------------------

def _refresh_module():
    spec = importlib.util.spec_from_file_location("refresh_prices", REPO / "packaging" / "refresh_prices.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_refresh_trim_keeps_only_entries_with_both_base_rates() -> None:
    rp = _refresh_module()
    raw = {
        "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "mode": "one of ..."},
        "both": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                 "cache_read_input_token_cost": 1e-07, "input_cost_per_token_batches": 5e-07,
                 "input_cost_per_token_priority": 2e-06, "output_cost_per_token_above_272k_tokens": 3e-06,
                 "cache_creation_input_token_cost_above_1hr": 2e-06, "supports_vision": True,
                 "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 1000,
                 "provider_specific_entry": {"fast": 2.0, "frames": {"480p": "x"}}},
        "input-only": {"input_cost_per_token": 1e-06},
        "output-only": {"output_cost_per_token": 1e-06},
        "per-second": {"input_cost_per_second": 1e-03, "output_cost_per_second": 1e-03},
        "text-rates": {"input_cost_per_token": "1e-6", "output_cost_per_token": "2e-6"},
        "free": {"input_cost_per_token": 0, "output_cost_per_token": 0},
    }
    out = rp.trim_prices(raw)
    assert list(out) == ["both", "free"]
    assert out["both"] == {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                           "cache_read_input_token_cost": 1e-07, "input_cost_per_token_priority": 2e-06,
                           "output_cost_per_token_above_272k_tokens": 3e-06,
                           "cache_creation_input_token_cost_above_1hr": 2e-06,
                           "litellm_provider": "openai", "mode": "chat", "max_input_tokens": 1000,
                           "provider_specific_entry": {"fast": 2.0}}
    text = rp.render(out, {"litellm_version": "0"})
    assert json.loads(text) == {"meta": {"litellm_version": "0"}, "models": out}
