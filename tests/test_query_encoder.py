"""The traced query encoder falls back to the model itself when tracing fails."""

import logging

from assistant.query_encoder import TracedQueryEncoder


class UntraceableModel:
    """A SentenceTransformer stand-in whose modules cannot be traced."""

    max_seq_length = 256
    calls = 0

    def tokenizer(self, texts, **kwargs):
        return {"input_ids": None, "attention_mask": None, "token_type_ids": None}

    def __getitem__(self, index):
        raise RuntimeError("not traceable")

    def encode(self, text, normalize_embeddings=False):
        UntraceableModel.calls += 1
        return [0.6, 0.8]


def test_a_model_that_cannot_be_traced_still_embeds_queries_through_itself(caplog):
    encoder = TracedQueryEncoder(UntraceableModel())
    with caplog.at_level(logging.WARNING):
        assert encoder.encode("a question") == [0.6, 0.8]
        assert encoder.encode("another") == [0.6, 0.8]
    assert UntraceableModel.calls == 2
    assert sum("trace failed" in r.message for r in caplog.records) == 1, "warned once"
