"""Leadership coach: should the leader step back, or step in?"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.config import Settings, load_settings
    from assistant.domain import Advice, Citation
    from assistant.errors import AssistantError
    from assistant.wiring import build_coach

__all__ = [
    "Advice",
    "AssistantError",
    "Citation",
    "Coach",
    "Settings",
    "build_coach",
    "load_settings",
]

# Imported on first use: the file-reader process and `assistant --help` should not pay for
# LangChain and the model libraries (about a second) just by importing the package.
_HOMES = {
    "Advice": "assistant.domain",
    "Citation": "assistant.domain",
    "Coach": "assistant.coach",
    "Settings": "assistant.config",
    "load_settings": "assistant.config",
    "AssistantError": "assistant.errors",
    "build_coach": "assistant.wiring",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
