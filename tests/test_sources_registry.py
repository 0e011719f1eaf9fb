"""The registry's promises: one id per assistant, known to the fast argument parser too."""

from __future__ import annotations

from desktop.sources import SOURCES, assistant_ids, by_id, tool_of
from desktop.source_ids import ASSISTANT_IDS


def test_the_fast_id_list_matches_the_registry() -> None:
    assert list(ASSISTANT_IDS) == assistant_ids()


def test_every_reader_has_a_unique_id_and_belongs_to_an_assistant() -> None:
    ids = [s.id for s in SOURCES]
    assert len(ids) == len(set(ids))
    assert all(tool_of(s) in ASSISTANT_IDS for s in SOURCES)
    assert all(by_id(i).id == i for i in ids)
