"""One query at a time through a TorchScript trace of the sentence-transformers encoder.

A chat message is one short text. For it, sentence-transformers spends about half its time
in Python (per-layer dispatch, feature dicts, batching for a batch of one): measured here,
8-12 ms per query, of which ~4.5 ms is left even for a three-token input. A frozen trace of
the same module, with the same weights, gives the same vector (max difference ~2e-7) in
~5-6 ms. ONNX Runtime was measured too and was slower on these CPUs (15-30 ms, int8
included), so torch it is. Documents keep going through sentence-transformers, whose
batching is what a batch needs.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

__all__ = ["TracedQueryEncoder"]

log = logging.getLogger(__name__)


class TracedQueryEncoder:
    """Mean-pooled, normalised embedding of one text, as the SentenceTransformer would give.

    The trace is built on first use (about 1 s) under a lock. If tracing fails (another
    torch or transformers version), every call falls back to the model itself.
    """

    def __init__(self, model: Any) -> None:
        self._model = model  # a SentenceTransformer: Transformer, mean Pooling, Normalize
        self._traced: Any = None
        self._failed = False
        self._lock = threading.Lock()

    def _trace(self) -> Any:
        if self._traced is not None or self._failed:
            return self._traced
        import torch

        with self._lock:
            if self._traced is None and not self._failed:
                try:
                    example = self._model.tokenizer(["a b"], return_tensors="pt")
                    with warnings.catch_warnings(), torch.inference_mode():
                        # Shape-dependent Python branches and freeze's deprecation notice:
                        # the graph is checked against the model in the tests.
                        warnings.simplefilter("ignore")
                        traced = torch.jit.trace(
                            self._model[0].auto_model.eval(),
                            (
                                example["input_ids"],
                                example["attention_mask"],
                                example["token_type_ids"],
                            ),
                            strict=False,
                        )
                        self._traced = torch.jit.freeze(traced)
                except Exception:  # noqa: BLE001 - any failure means: use the model itself.
                    log.warning("query encoder trace failed; using sentence-transformers")
                    self._failed = True
        return self._traced

    def warm_up(self) -> None:
        """Build the trace now rather than on the first user's query."""
        self.encode("warm up")

    def encode(self, text: str) -> list[float]:
        """The unit-length embedding of text."""
        import torch

        traced = self._trace()
        if traced is None:
            vector = self._model.encode(text, normalize_embeddings=True)
            return [float(x) for x in vector]
        features = self._model.tokenizer(
            [text], return_tensors="pt", truncation=True, max_length=self._model.max_seq_length
        )
        with torch.inference_mode():
            out = traced(
                features["input_ids"], features["attention_mask"], features["token_type_ids"]
            )
            hidden = out["last_hidden_state"] if isinstance(out, dict) else out[0]
            # One text, no padding: the mean over tokens is the masked mean.
            vector = torch.nn.functional.normalize(hidden[0].mean(0), dim=0)
        return vector.tolist()  # type: ignore[no-any-return]
