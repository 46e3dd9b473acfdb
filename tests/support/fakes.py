"""The one fake-backend environment, a scripted chat model, and the two ways of running the
`assistant` command: in-process (the default) and as a process (only where the process
boundary is what a test is about)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

ROOT = Path(__file__).resolve().parents[2]

# Fake chat model, fake embedder, signals-only verdicts: fast, deterministic, no model files.
FAKE_ENV: dict[str, str] = {
    "ASSISTANT_CHAT_BACKEND": "fake",
    "ASSISTANT_EMBED_BACKEND": "fake",
    "ASSISTANT_VERDICT_BACKEND": "signals",
}


def scripted_chat(*replies: str, repeat: int = 1) -> GenericFakeChatModel:
    """A chat model answering with `replies` in turn (`repeat` times over), then failing."""
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies] * repeat))


def run_assistant_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 300,
    fake: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ARGS` as its own process (fake backends unless fake=False),
    with this process's environment plus `env`."""
    full = {**os.environ, **(FAKE_ENV if fake else {}), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=full,
        input=stdin,
        cwd=ROOT,
        timeout=timeout,
    )
