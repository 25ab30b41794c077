"""One exception hierarchy. Every message is one sentence for a person: what, where, how to fix."""


class HoneybeeError(Exception):
    """Base of every error HoneyBee Studio raises on purpose; pages show it with st.error."""


class InputError(HoneybeeError):
    """A file, a record or an argument the user gave is not valid; nothing was changed."""


class DatabaseLockedError(HoneybeeError):
    """Another process holds the DuckDB file open for writing."""


class NotFoundError(HoneybeeError):
    """A named item, snapshot, run or user does not exist."""


class PermissionDeniedError(HoneybeeError):
    """The signed-in person's role does not allow this action."""


class ProviderError(HoneybeeError):
    """An LLM provider failed after the allowed number of attempts, or is misconfigured."""


class TrainingError(HoneybeeError):
    """A training or inference run could not start or failed."""


class DatabaseFileError(HoneybeeError):
    """The database file is damaged, belongs to another program or to a newer version of
    HoneyBee Studio; it was left as it was."""
