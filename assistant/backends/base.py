"""The two protocols every backend meets, and the one translation of failures into the
project's errors: callers embed, stream and warm up without wrapping or probing anything."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.errors import AssistantError, BackendError

__all__ = ["EmbeddingBackend", "describe_failure", "stream_text", "warm_up"]


def describe_failure(exc: BaseException, where: str = "the model endpoint") -> BackendError:
    """A user-facing error for a backend exception; never echoes the exception's text.

    Client errors can quote request details (an OpenAI 401 repeats part of the key), so the
    message is built only from the exception's type and status.
    """
    from assistant.backends.openai_compat import describe_openai_failure

    known = describe_openai_failure(exc, where)
    if known is not None:
        return known
    if isinstance(exc, ValueError):  # json.JSONDecodeError and friends
        return BackendError(f"{where} sent a malformed response.", "Check the server.")
    if isinstance(exc, TimeoutError):
        return BackendError(
            f"{where} took too long to answer.", "Try again, or raise ASSISTANT_REQUEST_TIMEOUT."
        )
    return BackendError(
        f"{where} failed ({type(exc).__name__}).",
        "Try again; if it persists, check the model settings.",
    )


@dataclass
class EmbeddingBackend:
    """An embedder with the name and dimension the store records; its two calls raise
    BackendError, never a client library's exception."""

    embeddings: Embeddings
    name: str

    @cached_property
    def dim(self) -> int:
        """Vector size, learnt from one probe embedding."""
        # As a document: a query may build per-process state (a trace) an ingest never needs.
        return len(self.embeddings.embed_documents(["dimension probe"])[0])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        try:
            return self.embeddings.embed_documents(texts)
        except Exception as exc:  # noqa: BLE001 - reported with the fix, never with its text
            raise describe_failure(exc, "The embedding model") from None

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query."""
        try:
            return self.embeddings.embed_query(text)
        except Exception as exc:  # noqa: BLE001 - reported with the fix, never with its text
            raise describe_failure(exc, "The embedding model") from None


def stream_text(
    model: BaseChatModel, messages: list[Any], total_timeout: float, max_chars: int
) -> Iterator[str]:
    """A chat model's answer as text pieces, bounded in total time and length whatever the
    server does; failures become BackendError, and the client's stream is closed however the
    caller stops reading."""
    started = time.monotonic()
    produced = 0
    stream = model.stream(messages)
    try:
        for chunk in stream:
            text = chunk.content if isinstance(chunk.content, str) else ""
            if time.monotonic() - started > total_timeout:
                raise TimeoutError
            if text:
                produced += len(text)
                yield text
            if produced > max_chars:
                break  # a server that ignores max_tokens cannot stream forever
    except AssistantError:
        raise
    except Exception as exc:  # noqa: BLE001 - any client error becomes a user message.
        raise describe_failure(exc, "The chat model") from None
    finally:
        with contextlib.suppress(Exception):
            stream.close()  # type: ignore[attr-defined]


def warm_up(model: BaseChatModel, system: str) -> None:
    """Do a chat model's one-off work now (load it, read the shared system prompt into its
    cache); a remote model has none."""
    from assistant.backends.llama_cpp import LlamaCppChat

    if isinstance(model, LlamaCppChat):
        model.warm_up(system)
