"""The JSON schema of the advice object, for validation and API documentation."""

from __future__ import annotations

from typing import Any

__all__ = ["ADVICE_SCHEMA"]

_VERDICT = {"type": "string", "enum": ["step_back", "balanced", "step_in"]}

ADVICE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Advice",
    "type": "object",
    "required": [
        "verdict",
        "confidence",
        "signals",
        "summary",
        "advice",
        "next_steps",
        "citations",
        "backend",
    ],
    "properties": {
        "verdict": _VERDICT,
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "signals": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "direction", "evidence"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "direction": _VERDICT,
                    "evidence": {"type": "string", "minLength": 1},
                },
            },
        },
        "summary": {"type": "string", "minLength": 1},
        "advice": {"type": "string", "minLength": 1},
        "next_steps": {"type": "array", "minItems": 3, "maxItems": 5, "items": {"type": "string"}},
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["chunk_id", "source", "title", "quote"],
                "additionalProperties": False,
                "properties": {
                    "chunk_id": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                    "title": {"type": "string"},
                    "quote": {"type": "string", "minLength": 1},
                },
            },
        },
        "backend": {
            "type": "object",
            "required": ["chat", "embeddings"],
            "properties": {"chat": {"type": "string"}, "embeddings": {"type": "string"}},
        },
        "clarifying_question": {"type": ["string", "null"]},
        "covered": {"type": "boolean"},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}
