"""Start-up checks: every configuration problem reported with what to do."""

from __future__ import annotations

from assistant.backends import describe_failure
from assistant.config import Settings
from assistant.errors import ConfigError

__all__ = ["check_openai_endpoint", "validate_settings"]


def check_openai_endpoint(
    settings: Settings, model: str, purpose: str, base_url: str | None = None
) -> None:
    """Reach the endpoint, check the key, and check that `model` is served."""
    import openai

    base_url = base_url or settings.openai_base_url
    base = base_url or "https://api.openai.com/v1"
    if settings.openai_api_key is None and base_url is None:
        raise ConfigError(
            f"The {purpose} backend is OpenAI but OPENAI_API_KEY is not set.",
            "Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server.",
        )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "sk-local"
    client = openai.OpenAI(
        base_url=base, api_key=key, timeout=settings.connect_timeout + 5, max_retries=0
    )
    try:
        served = [m.id for m in client.models.list()]
    except Exception as exc:  # noqa: BLE001 - reported with the fix, never with its text
        failure = describe_failure(exc, f"The {purpose} endpoint at {base}")
        raise ConfigError(failure.message, failure.fix) from None
    finally:
        client.close()
    # Single-model servers (llama.cpp, vLLM with one model) answer to any name they alias;
    # only refuse when the server lists several models and not this one.
    if len(served) > 1 and model not in served:
        raise ConfigError(
            f"The {purpose} endpoint at {base} does not serve model '{model}'.",
            f"Set it to one of: {', '.join(sorted(served)[:10])}.",
        )


def validate_settings(settings: Settings) -> None:
    """Check the configured backends before serving; raise ConfigError on the first problem."""
    if settings.chat_backend == "openai":
        check_openai_endpoint(settings, settings.chat_model, "chat")
    if settings.embed_backend == "openai":
        check_openai_endpoint(settings, settings.embed_model, "embedding", settings.embed_base_url)
