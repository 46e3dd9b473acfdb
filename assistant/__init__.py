"""Leadership coach: should the leader step back, or step in?"""

from assistant.coach import Advice, Citation, Coach
from assistant.config import Settings, load_settings
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
