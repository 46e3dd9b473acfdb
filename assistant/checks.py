"""Start-up checks: every configuration problem reported with what to do."""

from __future__ import annotations

from assistant.backends.openai_compat import check_openai_endpoint
from assistant.config import Settings

__all__ = ["check_openai_endpoint", "validate_settings"]


def validate_settings(settings: Settings) -> None:
    """Check the configured backends before serving; raise ConfigError on the first problem."""
    if settings.chat_backend == "openai":
        check_openai_endpoint(settings, settings.chat_model, "chat")
    if settings.embed_backend == "openai":
        check_openai_endpoint(settings, settings.embed_model, "embedding", settings.embed_base_url)
