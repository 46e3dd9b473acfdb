"""The exception tree: every message says what went wrong and how to fix it."""

from __future__ import annotations

__all__ = [
    "AssistantError",
    "BackendError",
    "ConfigError",
    "DocumentError",
    "EmbeddingMismatchError",
    "EmptyStoreError",
    "InputTooLargeError",
    "StoreError",
]


class AssistantError(Exception):
    """Base for every error the assistant reports to a user."""

    def __init__(self, message: str, fix: str = "") -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message} {fix}".strip())

    def user_message(self) -> str:
        """One line for a person: the problem, then the fix."""
        return str(self)


class ConfigError(AssistantError):
    """A setting is missing, malformed or points at something unusable."""


class DocumentError(AssistantError):
    """A file or URL could not be read or split."""


class StoreError(AssistantError):
    """The vector store could not be opened, read or written."""


class EmbeddingMismatchError(StoreError):
    """The store was built with a different embedding model or dimension."""


class EmptyStoreError(StoreError):
    """The store holds no passages yet."""


class BackendError(AssistantError):
    """The chat or embedding backend failed."""


class InputTooLargeError(AssistantError):
    """A message or file is larger than the configured limit."""
