"""A finding: one piece of low-value usage, the numbers involved, the rows behind it, and what it cannot know."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

SEVERITIES = ("info", "warn", "high")
STATES = ("new", "seen", "dismissed")
HIGH_FACTOR = 4  # a measure at least this many times its threshold makes a finding high severity


def severity(value: float, threshold: float) -> str:
    """warn at the threshold, high at HIGH_FACTOR times it."""
    return "high" if threshold > 0 and value >= HIGH_FACTOR * threshold else "warn"


@dataclass(slots=True)
class Finding:
    """What a detector returns; `id`, `state` and the times come from the archive once it is stored.

    `tokens` and `cost_usd` are the usage the finding is about (cost None when none of it is priced);
    `avoidable_usd` is what a better habit would have saved, where the detector can estimate it.
    `evidence` is a list of plain dicts, each with a `kind` (session, prompt, call, chain, repeated_call,
    commit, file, pattern, estimate, baseline) and the ids the UI opens: `source` + `session_id`,
    `prompt_id`, `event_id`, `tool_call_ids`, `commit_id` + `sha`.
    """

    detector: str
    period_start: date
    period_end: date
    subject_kind: str  # session | project_day | prompt_pattern | week | model
    subject: str
    severity: str
    tokens: int
    cost_usd: float | None
    summary: str
    evidence: list[dict[str, Any]]
    cannot_tell: str
    avoidable_usd: float | None = None
    key: str = (
        ""  # what makes it the same finding on a rerun, with detector and subject kind; default subject
    )
    id: int | None = None
    state: str = "new"
    created_ms: int | None = None
    notified_ms: int | None = field(default=None)

    @property
    def fingerprint(self) -> str:
        text = "\0".join((self.detector, self.subject_kind, self.key or self.subject))
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The `insights --json` shape (DESIGN §6), plus state, cannot_tell, subject_kind and avoidable_usd."""
        return {
            "id": self.id,
            "detector": self.detector,
            "severity": self.severity,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "subject_kind": self.subject_kind,
            "subject": self.subject,
            "tokens": self.tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "avoidable_usd": None if self.avoidable_usd is None else round(self.avoidable_usd, 6),
            "summary": self.summary,
            "evidence": self.evidence,
            "cannot_tell": self.cannot_tell,
            "state": self.state,
        }
