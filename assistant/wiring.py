"""The composition root: the one place concrete classes are chosen."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from assistant.assessment import TRAINING_BANKS, Assessor
from assistant.backends import (
    EmbeddingBackend,
    make_chat_model,
    make_document_embeddings,
    make_embeddings,
)
from assistant.coach import Coach
from assistant.composer import Composer, NamedEncoder
from assistant.config import Settings
from assistant.conversation import Conversation
from assistant.gate import QualityGate
from assistant.harm import HarmDetector
from assistant.ingestion import Ingestor
from assistant.move_ranker import load_choices
from assistant.playbook import DEFAULT_PLAYBOOK_DIR, load_playbook
from assistant.retrieval import Retriever
from assistant.store import ChunkStore, open_store

__all__ = [
    "build_assessor",
    "build_coach",
    "build_composer",
    "link_stage",
    "build_ingestor",
    "build_retriever",
    "build_store",
    "process_canary",
]


@functools.cache
def process_canary() -> str:
    """A random marker put in this process's system prompt: any answer holding a piece of it
    reveals internal text and is withheld. New for every process, so nothing can learn it."""
    return secrets.token_hex(8)


def build_assessor(settings: Settings) -> Assessor:
    """The verdict policy named by ASSISTANT_VERDICT_BACKEND."""
    if settings.verdict_backend == "signals":
        return Assessor(None)
    from assistant.verdict_model import VerdictModel, held_out

    model = VerdictModel.load_or_train(TRAINING_BANKS, settings.cache_dir)
    harm = None
    if model.harm_head is not None:
        harm = HarmDetector.tuned(
            model, held_out(TRAINING_BANKS), model.folder / "harm_thresholds.json"
        )
    factors = None
    if model.factor_heads is not None:
        from assistant.attempts import AttemptsReader, WithAttempts

        reader = AttemptsReader.load_or_fit(model, TRAINING_BANKS, model.folder / "attempts.json")
        factors = WithAttempts(model, reader)
    from assistant.word_reader import WordReader

    words = WordReader.load_or_fit(TRAINING_BANKS, model.folder / "words.pkl")
    return Assessor(model, harm, factors=factors, words=words)


def build_store(settings: Settings, rebuild: bool = False) -> ChunkStore:
    """The Chroma collection named by the settings."""
    token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
    return open_store(
        settings.data_dir,
        settings.collection,
        settings.chroma_url,
        token,
        rebuild=rebuild,
        min_free_mb=settings.min_free_mb,
    )


def build_ingestor(
    settings: Settings,
    rebuild: bool = False,
    store: ChunkStore | None = None,
    embedder: EmbeddingBackend | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Ingestor:
    """An Ingestor over the configured store and embeddings; `on_progress` is told how a
    long embedding goes (a line every ten seconds or so)."""
    return Ingestor(
        store or build_store(settings, rebuild=rebuild),
        embedder or make_document_embeddings(settings),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        max_file_bytes=settings.max_file_bytes,
        file_timeout=settings.ingest_file_timeout,
        file_memory_mb=settings.ingest_file_memory_mb,
        allow_private_urls=settings.ingest_private_urls,
        on_progress=on_progress,
    )


def build_retriever(
    settings: Settings,
    store: ChunkStore | None = None,
    embedder: EmbeddingBackend | None = None,
) -> Retriever:
    """A Retriever over the configured store."""
    embedder = embedder or make_embeddings(settings)
    store = store or build_store(settings)
    store.check_model(embedder.name, embedder.dim)
    return Retriever(
        store,
        embedder,
        settings.top_k,
        mode=settings.retrieval,
        per_source_cap=settings.per_source_cap,
        min_relevance=settings.min_relevance,
        refresh_s=settings.lexical_refresh_s,
        supporting=settings.supporting_sources,
    )


def build_composer(settings: Settings, embedder: EmbeddingBackend, assessor: Any) -> Composer:
    """The playbook's composer, matching moves with the store's encoder and, when the
    verdict model is fine-tuned, its encoder too."""
    encoders: list[Any] = [NamedEncoder(embedder.embeddings, embedder.name)]
    local = getattr(assessor, "local", assessor)  # a model assessor wraps the local one
    model = getattr(local, "model", None)
    if model is not None and hasattr(model, "embed_documents"):
        encoders.append(NamedEncoder(model, model.name))
    cache = None if settings.embed_backend == "fake" else settings.cache_dir
    moves = load_playbook(settings.playbook_dir)
    # The labelled choices name moves of the packaged playbook; another playbook is ranked
    # by the hand-set weights.
    choices = load_choices() if settings.playbook_dir.resolve() == DEFAULT_PLAYBOOK_DIR else []
    harm = getattr(local, "harm", None)
    return Composer(
        moves,
        encoders,
        cache_dir=cache,
        choices=choices,
        harm_reader=harm.read if harm is not None else None,
    )


def link_stage(assessor: Any, composer: Composer) -> None:
    """Let the assessor read whether an incident is over and dealt with: the composer owns
    that reader (it reads the same vectors as the moves), and it exists only after both."""
    local = getattr(assessor, "local", assessor)  # a model assessor wraps the local one
    if isinstance(local, Assessor) and local.model is not None:
        local.read_stage_with(composer.harm_stage)


def build_coach(settings: Settings, **overrides: Any) -> Coach:
    """A Coach with every collaborator chosen from settings unless passed in overrides."""
    embedder = overrides.get("embedder") or make_embeddings(settings)
    store = overrides.get("store") or build_store(settings)
    retriever = overrides.get("retriever") or build_retriever(settings, store, embedder)
    if "chat_model" in overrides:
        chat_model, chat_name = overrides["chat_model"], overrides.get("chat_name", "custom")
    else:
        chat_model, chat_name = make_chat_model(settings)
    assessor = overrides.get("assessor") or build_assessor(settings)
    if (
        "assessor" not in overrides
        and settings.chat_backend == "openai"
        and settings.model_assessment
    ):
        from assistant.model_assessment import ModelAssessor

        assessor = ModelAssessor(chat_model, assessor, chat_name)
    composer = overrides.get("composer") or build_composer(settings, embedder, assessor)
    link_stage(assessor, composer)
    from assistant.statements import StatementReader

    local = getattr(assessor, "local", assessor)  # a model assessor wraps the local one
    conversation = Conversation(
        assessor,
        similarity=_cosine(embedder),
        max_chars=settings.max_message_chars,
        statements=StatementReader.load_or_fit(settings.cache_dir / "statements.pkl"),
        harm=local.harm_told if isinstance(local, Assessor) and local.harm is not None else None,
    )
    return Coach(
        retriever,
        chat_model,
        assessor,
        backend={"chat": chat_name, "embeddings": embedder.name},
        composer=composer,
        gate=QualityGate() if settings.generation == "gated" else None,
        min_relevance=settings.min_relevance,
        max_message_chars=settings.max_message_chars,
        canary=overrides.get("canary") or process_canary(),
        total_timeout=settings.request_timeout,
        max_answer_chars=settings.max_tokens * 8,
        conversation=conversation,
    )


def _cosine(embedder: EmbeddingBackend) -> Callable[[str, Sequence[str]], list[float]]:
    """Closeness in meaning of one text to others, with the store's encoder."""

    def similarity(text: str, others: Sequence[str]) -> list[float]:
        one = np.asarray(embedder.embed_query(text))
        many = np.asarray(embedder.embed_documents(list(others)))
        norms = np.linalg.norm(many, axis=1) * (np.linalg.norm(one) or 1.0)
        return [float(x) for x in (many @ one) / np.where(norms == 0, 1.0, norms)]

    return similarity
