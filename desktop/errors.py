"""The two kinds of failure: a KnownError is the environment's fault and is shown as one clear line."""


class KnownError(Exception):
    """A problem the user can act on (unreadable file, newer DB, locked DB); never a bug."""


class NewerDatabaseError(KnownError):
    """The archive was written by a newer Tokenmirror; opening it could lose data."""
