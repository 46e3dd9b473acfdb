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


def make_chat_model(settings: Settings) -> tuple[BaseChatModel, str]:
    """The chat model chosen by ASSISTANT_CHAT_BACKEND, and a display name."""
    if settings.chat_backend == "fake":
        return fake_chat(), "fake"
    if settings.chat_backend == "openai":
        from assistant.backends.openai_compat import openai_chat

        return openai_chat(settings), f"openai:{settings.chat_model}"
    from assistant.backends.llama_cpp import llama_chat

    return llama_chat(settings)
