"""Every OpenAI-protocol backend (OpenAI itself, llama.cpp's server, vLLM, ...): chat,
embeddings, the endpoint check run before serving, and the translation of the client's
errors. The only home of `openai` and `langchain_openai`."""

from __future__ import annotations

import math
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.config import Settings
from assistant.errors import BackendError, ConfigError

__all__ = [
    "check_openai_endpoint",
    "describe_openai_failure",
    "openai_chat",
    "openai_embeddings",
]


def _key(settings: Settings) -> str:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else "sk-local"


def _timeout(settings: Settings) -> Any:
    import httpx

    # read is the gap allowed between two bytes: both the wait for the first token and a
    # stall mid-stream; the whole answer is bounded separately by the coach.
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.idle_timeout,
        write=settings.connect_timeout,
        pool=settings.connect_timeout,
    )


def _pool(vector: Any) -> list[float]:
    """Mean-pool per-token vectors into one; a flat vector passes through unchanged."""
    if vector and isinstance(vector[0], list):
        size = len(vector[0])
        mean = [sum(token[i] for token in vector) / len(vector) for i in range(size)]
        norm = math.sqrt(sum(v * v for v in mean)) or 1.0
        return [v / norm for v in mean]
    return [float(v) for v in vector]


def openai_embeddings(settings: Settings) -> Embeddings:
    """Embeddings from an OpenAI-protocol endpoint (ASSISTANT_EMBED_BACKEND=openai)."""
    from langchain_openai import OpenAIEmbeddings

    base_url = settings.embed_base_url or settings.openai_base_url
    if not settings.openai_api_key and not base_url:
        raise ConfigError(
            "The openai embedding backend needs OPENAI_API_KEY or OPENAI_BASE_URL.",
            "Set them, or unset ASSISTANT_EMBED_BACKEND to use the embedded model.",
        )

    class PoolingOpenAIEmbeddings(OpenAIEmbeddings):
        """OpenAIEmbeddings that also accepts servers answering with per-token vectors.

        llama.cpp's server does so for GGUF models without a pooling head; mean pooling
        turns those into one vector per text, as sentence embedders do.
        """

        def embed_documents(
            self, texts: list[str], chunk_size: int | None = None, **kw: Any
        ) -> list[list[float]]:
            return [_pool(v) for v in super().embed_documents(texts, chunk_size, **kw)]

        def embed_query(self, text: str, **kw: Any) -> list[float]:
            return _pool(super().embed_query(text, **kw))

    return PoolingOpenAIEmbeddings(
        model=settings.embed_model,
        base_url=base_url,
        api_key=_key(settings),  # type: ignore[arg-type]
        check_embedding_ctx_length=False,
        # The ingest hands over a few hundred chunks at a time; one request for all
        # of them can outlast the idle timeout on a small server.
        chunk_size=settings.embed_batch,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
    )


def openai_chat(settings: Settings) -> BaseChatModel:
    """A streaming chat model on an OpenAI-protocol endpoint (ASSISTANT_CHAT_BACKEND=openai)."""
    from langchain_openai import ChatOpenAI

    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            "The openai chat backend needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
            "non-OpenAI server).",
            "Set them, or unset ASSISTANT_CHAT_BACKEND to use the embedded model.",
        )
    return ChatOpenAI(
        model=settings.chat_model,
        base_url=settings.openai_base_url,
        api_key=_key(settings),  # type: ignore[arg-type]
        temperature=settings.temperature,
        max_completion_tokens=settings.max_tokens,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
        streaming=True,
    )


def describe_openai_failure(exc: BaseException, where: str) -> BackendError | None:
    """The user-facing error for an OpenAI client exception, or None for any other kind."""
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        return None
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return BackendError(
            f"{where} rejected the API key ({exc.status_code}).",
            "Check OPENAI_API_KEY.",
        )
    if isinstance(exc, openai.RateLimitError):
        return BackendError(
            f"{where} is rate limiting requests (429) and retries did not get through.",
            "Wait a minute and try again, or raise your quota.",
        )
    if isinstance(exc, openai.NotFoundError):
        return BackendError(
            f"{where} does not serve the requested model (404).",
            "Check ASSISTANT_CHAT_MODEL / ASSISTANT_EMBED_MODEL against the server's models.",
        )
    if isinstance(exc, openai.APITimeoutError):
        return BackendError(
            f"{where} did not answer in time.", "Try again; if it persists, check the server."
        )
    if isinstance(exc, openai.APIConnectionError):
        return BackendError(
            f"Cannot connect to {where}.", "Check OPENAI_BASE_URL and that the server is up."
        )
    if isinstance(exc, openai.InternalServerError | openai.APIStatusError):
        return BackendError(
            f"{where} failed ({exc.status_code}).",
            "Try again in a moment; if it persists, check the server's logs.",
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return BackendError(f"{where} sent a malformed response.", "Check the server.")
    return None


def check_openai_endpoint(
    settings: Settings, model: str, purpose: str, base_url: str | None = None
) -> None:
    """Reach the endpoint, check the key, and check that `model` is served."""
    import openai

    from assistant.backends.base import describe_failure

    base_url = base_url or settings.openai_base_url
    base = base_url or "https://api.openai.com/v1"
    if settings.openai_api_key is None and base_url is None:
        raise ConfigError(
            f"The {purpose} backend is OpenAI but OPENAI_API_KEY is not set.",
            "Set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server.",
        )
    client = openai.OpenAI(
        base_url=base, api_key=_key(settings), timeout=settings.connect_timeout + 5, max_retries=0
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
