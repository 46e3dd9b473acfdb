"""The test fakes, shipped beside the real backends: a deterministic bag-of-words embedder
and a chat model that always gives the same sensible reply."""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

__all__ = ["HashingEmbeddings", "fake_chat"]


class HashingEmbeddings(Embeddings):
    """A fast, deterministic bag-of-words embedder for tests and fault injection."""

    def __init__(self, size: int = 256) -> None:
        self.size = size

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.size
        for word in re.findall(r"[a-z']+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "big") % self.size] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


def fake_chat() -> BaseChatModel:
    """A chat model that needs nothing and always answers the same."""
    reply = (
        "Let the owner lead and stay close enough to help: agree when you will step in, "
        "and hand the decision back afterwards."
    )
    return GenericFakeChatModel(messages=iter([AIMessage(content=reply)] * 100_000))
