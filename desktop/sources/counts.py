"""Token counts from untrusted logs: absent is 0, nonsense is a bad line, never a crash."""

from __future__ import annotations

MAX_TOKENS = 10**12  # no single call reads a trillion tokens; bigger means a corrupt field


class BadCount(ValueError):
    pass


def count(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise BadCount(f"boolean token count {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.isdigit() and len(value) <= 13:
        number = int(value)  # a number written as text by some gateway
    else:
        raise BadCount(f"token count {value!r:.40}")
    if number < 0 or number > MAX_TOKENS:
        raise BadCount(f"token count {number} out of range")
    return number


def first_count(*values: object) -> int:
    """The first field present among aliases (`input_tokens` | `prompt_tokens` | `input`)."""
    for value in values:
        if value is not None:
            return count(value)
    return 0
