"""The only layer that speaks SQL."""

from desktop.store.db import Store

__all__ = ["Store"]
