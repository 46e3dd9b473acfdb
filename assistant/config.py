"""Typed, frozen settings read once from the environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from assistant.errors import ConfigError

__all__ = ["Settings", "load_settings"]

Backend = Literal["embedded", "openai", "fake"]


class Settings(BaseModel):
    """Everything the assistant can be told; one field per environment variable."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path = Field(
        Path("data"), description="ASSISTANT_DATA_DIR: folder holding the embedded Chroma store."
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "leadership-coach",
        description="ASSISTANT_CACHE_DIR: where the trained verdict model, the fast chat model "
        "copy, the embedding cache and the compiled llama-cpp-python wheel are kept.",
    )
    verdict_backend: Literal["finetuned", "signals"] = Field(
        "finetuned",
        description="ASSISTANT_VERDICT_BACKEND: finetuned (MiniLM trained on the scenario bank, "
        "plus signals) or signals (explicit signals only; fast, for tests).",
    )
    model_assessment: bool = Field(
        True,
        description="ASSISTANT_MODEL_ASSESSMENT: with an OpenAI-compatible chat model, let it "
        "assess the scenario through structured output (the local assessment cross-checks).",
    )
    knowledge_dir: Path = Field(
        Path("knowledge"),
        description="ASSISTANT_KNOWLEDGE_DIR: default folder for `assistant ingest`, `make run`.",
    )
    playbook_dir: Path = Field(
        Path(__file__).resolve().parents[1] / "knowledge" / "playbook",
        description="ASSISTANT_PLAYBOOK_DIR: folder of coaching moves the composed answers "
        "are written from.",
    )
    generation: Literal["gated", "off"] = Field(
        "gated",
        description="ASSISTANT_GENERATION: gated (the chat model rewords the composed plan and "
        "is shown only if its text passes the quality gate) or off (composed answer only).",
    )
    collection: str = Field(
        "leadership", description="ASSISTANT_COLLECTION: Chroma collection name."
    )
    chroma_url: str | None = Field(
        None, description="ASSISTANT_CHROMA_URL: use a Chroma server (http://host:port) instead."
    )
    chroma_token: SecretStr | None = Field(
        None, description="ASSISTANT_CHROMA_TOKEN: bearer token sent to the Chroma server."
    )
    chat_backend: Backend = Field(
        "embedded",
        description="ASSISTANT_CHAT_BACKEND: embedded (llama.cpp in-process), openai or fake. "
        "Defaults to openai when OPENAI_BASE_URL or OPENAI_API_KEY is set.",
    )
    embed_backend: Backend = Field(
        "embedded",
        description="ASSISTANT_EMBED_BACKEND: embedded (all-MiniLM-L6-v2), openai or fake.",
    )
    chat_model: str = Field(
        "gpt-4o-mini",
        description="ASSISTANT_CHAT_MODEL: model name sent to the OpenAI-compatible endpoint.",
    )
    embed_model: str = Field(
        "text-embedding-3-small",
        description="ASSISTANT_EMBED_MODEL: embedding model name for the openai embed backend.",
    )
    embed_cache: bool = Field(
        True,
        description="ASSISTANT_EMBED_CACHE: keep document embeddings in the cache folder "
        "(embeddings.sqlite3), keyed by encoder and text, so a new store or clone re-embeds "
        "nothing already seen; queries are never stored. off: always encode.",
    )
    embed_batch: int = Field(
        16,
        ge=1,
        le=2048,
        description="ASSISTANT_EMBED_BATCH: texts per request to an OpenAI-compatible "
        "embedding endpoint; each request must finish within ASSISTANT_IDLE_TIMEOUT.",
    )
    gguf_path: Path | None = Field(
        None,
        description="ASSISTANT_GGUF_PATH: a GGUF chat model to run instead of the packaged "
        "SmolLM2-135M-Instruct.",
    )
    openai_api_key: SecretStr | None = Field(None, description="OPENAI_API_KEY.")
    openai_base_url: str | None = Field(None, description="OPENAI_BASE_URL.")
    embed_base_url: str | None = Field(
        None,
        description="ASSISTANT_EMBED_BASE_URL: OpenAI-compatible endpoint for embeddings, when "
        "it differs from OPENAI_BASE_URL.",
    )
    embed_origins: tuple[str, ...] = Field(
        (),
        description="ASSISTANT_EMBED_ORIGINS: comma-separated origins allowed to embed the widget.",
    )
    root_path: str = Field(
        "",
        pattern=r"^(/[A-Za-z0-9._~-]+)*$",
        description="ASSISTANT_ROOT_PATH: the sub-path a reverse proxy serves the app under "
        "(e.g. /coach), whether or not the proxy strips it.",
    )
    host: str = Field("127.0.0.1", description="ASSISTANT_HOST: address the web app binds.")
    port: int = Field(7860, description="ASSISTANT_PORT: port the web app listens on.")
    chunk_size: int = Field(
        900, gt=100, description="ASSISTANT_CHUNK_SIZE: target chunk length in characters."
    )
    chunk_overlap: int = Field(
        120, ge=0, description="ASSISTANT_CHUNK_OVERLAP: characters shared by adjacent chunks."
    )
    top_k: int = Field(4, ge=1, le=20, description="ASSISTANT_TOP_K: passages given to the model.")
    retrieval: Literal["hybrid", "dense"] = Field(
        "hybrid",
        description="ASSISTANT_RETRIEVAL: hybrid (the store's vectors and a BM25 index of its "
        "texts and titles, fused by reciprocal rank) or dense (vectors only).",
    )
    per_source_cap: int = Field(
        3,
        ge=1,
        description="ASSISTANT_PER_SOURCE_CAP: most passages one document may place among the "
        "top k, so the rest come from other documents (filled from it if nothing else is left).",
    )
    supporting_sources: tuple[str, ...] = Field(
        ("*/playbook/*",),
        description="ASSISTANT_SUPPORTING_SOURCES: comma-separated path patterns of sources "
        "ranked after relevant passages from the others (the coaching playbook's moves: the "
        "composer uses them and citations quote them only when nothing else is relevant).",
    )
    lexical_refresh_s: float = Field(
        5.0,
        ge=0,
        description="ASSISTANT_LEXICAL_REFRESH_S: how often, at most, a search checks whether "
        "another process changed the store since the BM25 index was built (0: every search). "
        "Changes made by this process are seen at once.",
    )
    min_relevance: float = Field(
        0.2,
        description="ASSISTANT_MIN_RELEVANCE: cosine similarity under which the library is "
        "considered not to cover a question.",
    )
    max_tokens: int = Field(
        256, ge=16, description="ASSISTANT_MAX_TOKENS: cap on generated tokens per answer."
    )
    context_tokens: int = Field(
        4096, ge=512, description="ASSISTANT_CONTEXT_TOKENS: llama.cpp context window."
    )
    threads: int = Field(
        max(1, os.cpu_count() or 1),
        ge=1,
        description="ASSISTANT_THREADS: CPU threads for llama.cpp.",
    )
    temperature: float = Field(0.2, description="ASSISTANT_TEMPERATURE: sampling temperature.")
    request_timeout: float = Field(
        90.0, gt=0, description="ASSISTANT_REQUEST_TIMEOUT: most seconds one whole answer may take."
    )
    connect_timeout: float = Field(
        5.0, gt=0, description="ASSISTANT_CONNECT_TIMEOUT: seconds to connect to a backend."
    )
    idle_timeout: float = Field(
        30.0,
        gt=0,
        description="ASSISTANT_IDLE_TIMEOUT: most seconds to wait for the first token, or "
        "between two tokens, from an OpenAI-compatible endpoint.",
    )
    max_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="ASSISTANT_MAX_RETRIES: retries, with backoff, on 429 and 5xx answers.",
    )
    max_message_chars: int = Field(
        4000, description="ASSISTANT_MAX_MESSAGE_CHARS: longest chat message or scenario accepted."
    )
    concurrency: int = Field(
        0,
        ge=0,
        description="ASSISTANT_CONCURRENCY: answers generated at once; 0 means 1 for the "
        "embedded model (llama.cpp runs one generation at a time) and 4 for an endpoint.",
    )
    queue_size: int = Field(
        16,
        ge=1,
        description="ASSISTANT_QUEUE_SIZE: waiting requests beyond which users are "
        "told the coach is busy.",
    )
    max_jobs_per_client: int = Field(
        2,
        ge=1,
        description="ASSISTANT_MAX_JOBS_PER_CLIENT: answers one client (address) may have "
        "waiting or running at once, across the page, the widget and /api/advise; more get "
        "429 until one finishes, so one client cannot fill the queue. A slot is freed when its "
        "answer ends, fails or its client goes away, and at the latest after "
        "ASSISTANT_REQUEST_TIMEOUT x (ASSISTANT_QUEUE_SIZE + 1) seconds.",
    )
    rate_limit_per_minute: int = Field(
        30, ge=1, description="ASSISTANT_RATE_LIMIT: API requests per client per minute."
    )
    max_body_bytes: int = Field(
        16_384, ge=256, description="ASSISTANT_MAX_BODY_BYTES: largest API request body."
    )
    max_page_body_bytes: int = Field(
        262_144,
        ge=1024,
        description="ASSISTANT_MAX_PAGE_BODY_BYTES: largest request body to the page's and the "
        "widget's own routes (a message plus the conversation so far).",
    )
    trusted_proxies: tuple[str, ...] = Field(
        (),
        description="ASSISTANT_TRUSTED_PROXIES: comma-separated addresses or networks (CIDR) of "
        "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; e.g. "
        "127.0.0.1 for nginx on the same machine. Empty: none.",
    )
    allowed_hosts: tuple[str, ...] = Field(
        (),
        description="ASSISTANT_ALLOWED_HOSTS: comma-separated host names the app answers to "
        "besides localhost names and ASSISTANT_HOST (e.g. coach.example.com, *.example.com); "
        "* allows any. Other Host headers get 400 (DNS rebinding).",
    )
    ingest_private_urls: bool = Field(
        False,
        description="ASSISTANT_INGEST_PRIVATE_URLS: let `assistant ingest URL` fetch from "
        "loopback, link-local and private addresses (an intranet); off by default.",
    )
    max_file_bytes: int = Field(
        20_000_000, description="ASSISTANT_MAX_FILE_BYTES: largest file ingest will read."
    )
    min_free_mb: int = Field(
        64,
        ge=0,
        description="ASSISTANT_MIN_FREE_MB: disk space, in MB, the embedded store keeps spare; "
        "writes that would eat into it are refused.",
    )
    ingest_file_timeout: float = Field(
        120.0,
        gt=0,
        description="ASSISTANT_INGEST_FILE_TIMEOUT: most seconds reading one file may take.",
    )
    ingest_file_memory_mb: int = Field(
        2048,
        ge=64,
        description="ASSISTANT_INGEST_FILE_MEMORY_MB: most memory, in MB, reading one file "
        "may use on top of the reader's own.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, proxies: tuple[str, ...]) -> tuple[str, ...]:
        for proxy in proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return proxies


_ENV = {
    "ASSISTANT_DATA_DIR": "data_dir",
    "ASSISTANT_KNOWLEDGE_DIR": "knowledge_dir",
    "ASSISTANT_CACHE_DIR": "cache_dir",
    "ASSISTANT_VERDICT_BACKEND": "verdict_backend",
    "ASSISTANT_MODEL_ASSESSMENT": "model_assessment",
    "ASSISTANT_COLLECTION": "collection",
    "ASSISTANT_PLAYBOOK_DIR": "playbook_dir",
    "ASSISTANT_GENERATION": "generation",
    "ASSISTANT_CHROMA_URL": "chroma_url",
    "ASSISTANT_CHROMA_TOKEN": "chroma_token",
    "ASSISTANT_CHAT_BACKEND": "chat_backend",
    "ASSISTANT_EMBED_BACKEND": "embed_backend",
    "ASSISTANT_CHAT_MODEL": "chat_model",
    "ASSISTANT_EMBED_MODEL": "embed_model",
    "ASSISTANT_EMBED_BATCH": "embed_batch",
    "ASSISTANT_EMBED_CACHE": "embed_cache",
    "ASSISTANT_GGUF_PATH": "gguf_path",
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "ASSISTANT_EMBED_BASE_URL": "embed_base_url",
    "ASSISTANT_EMBED_ORIGINS": "embed_origins",
    "ASSISTANT_ROOT_PATH": "root_path",
    "ASSISTANT_HOST": "host",
    "ASSISTANT_PORT": "port",
    "ASSISTANT_CHUNK_SIZE": "chunk_size",
    "ASSISTANT_CHUNK_OVERLAP": "chunk_overlap",
    "ASSISTANT_TOP_K": "top_k",
    "ASSISTANT_MIN_RELEVANCE": "min_relevance",
    "ASSISTANT_RETRIEVAL": "retrieval",
    "ASSISTANT_PER_SOURCE_CAP": "per_source_cap",
    "ASSISTANT_LEXICAL_REFRESH_S": "lexical_refresh_s",
    "ASSISTANT_SUPPORTING_SOURCES": "supporting_sources",
    "ASSISTANT_MAX_TOKENS": "max_tokens",
    "ASSISTANT_CONTEXT_TOKENS": "context_tokens",
    "ASSISTANT_THREADS": "threads",
    "ASSISTANT_TEMPERATURE": "temperature",
    "ASSISTANT_REQUEST_TIMEOUT": "request_timeout",
    "ASSISTANT_CONNECT_TIMEOUT": "connect_timeout",
    "ASSISTANT_IDLE_TIMEOUT": "idle_timeout",
    "ASSISTANT_MAX_RETRIES": "max_retries",
    "ASSISTANT_MAX_MESSAGE_CHARS": "max_message_chars",
    "ASSISTANT_MAX_FILE_BYTES": "max_file_bytes",
    "ASSISTANT_MIN_FREE_MB": "min_free_mb",
    "ASSISTANT_INGEST_FILE_TIMEOUT": "ingest_file_timeout",
    "ASSISTANT_INGEST_FILE_MEMORY_MB": "ingest_file_memory_mb",
    "ASSISTANT_RATE_LIMIT": "rate_limit_per_minute",
    "ASSISTANT_CONCURRENCY": "concurrency",
    "ASSISTANT_QUEUE_SIZE": "queue_size",
    "ASSISTANT_MAX_JOBS_PER_CLIENT": "max_jobs_per_client",
    "ASSISTANT_MAX_BODY_BYTES": "max_body_bytes",
    "ASSISTANT_MAX_PAGE_BODY_BYTES": "max_page_body_bytes",
    "ASSISTANT_TRUSTED_PROXIES": "trusted_proxies",
    "ASSISTANT_ALLOWED_HOSTS": "allowed_hosts",
    "ASSISTANT_INGEST_PRIVATE_URLS": "ingest_private_urls",
}

_LISTS = ("embed_origins", "trusted_proxies", "allowed_hosts")


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from environment variables (blank values count as unset)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for var, field in _ENV.items():
        raw = env.get(var, "").strip()
        if raw:
            values[field] = raw
    for name in _LISTS:
        if name in values:
            items = str(values[name]).split(",")
            values[name] = tuple(i.strip().rstrip("/") for i in items if i.strip())
    if "supporting_sources" in values:
        patterns = str(values["supporting_sources"]).split(",")
        values["supporting_sources"] = tuple(p.strip() for p in patterns if p.strip())
    if "chat_backend" not in values and ("openai_base_url" in values or "openai_api_key" in values):
        values["chat_backend"] = "openai"
    if "root_path" in values:
        values["root_path"] = str(values["root_path"]).rstrip("/")
    values.update(overrides)
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            var = next((v for v, f in _ENV.items() if f == field), field)
            problems.append(f"{var}: {err['msg']}")
        raise ConfigError(
            "Invalid settings: " + "; ".join(problems) + ".",
            "Fix or unset those environment variables.",
        ) from None
