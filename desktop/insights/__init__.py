"""Findings about low-value usage (DESIGN §8): one module per detector, each a pure function
`detect(store, window, thresholds) -> list[Finding]` that only reads. `run.py` runs them and keeps
the findings in the archive; docs/INSIGHTS.md states each rule, its thresholds and its limits.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.insights import (
    abandoned_work,
    burn_without_delivery,
    cache_thrash,
    context_bloat,
    oversized_model,
    runaway_loop,
    scripted_prompting,
)
from desktop.insights.model import Finding

Detector = Callable[..., list[Finding]]

#: detector id -> detect function, in the order findings are reported
DETECTORS: dict[str, Detector] = {
    module.DETECTOR: module.detect
    for module in (
        scripted_prompting,
        burn_without_delivery,
        abandoned_work,
        runaway_loop,
        cache_thrash,
        context_bloat,
        oversized_model,
    )
}

__all__ = ["DETECTORS", "Finding"]
