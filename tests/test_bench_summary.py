"""The bench's summary puts each figure beside the raw engine's, with the ratio or gap."""

from assistant.bench import summary_table

RESULTS = {
    "mode": "quick",
    "ingest": {"1000": {"chunks_per_s": 18.0, "raw_chunks_per_s": 20.0, "ratio": 0.9}},
    "search": {
        "query_embedding_ms": 12.0,
        "1000": {"p95_ms": 16.0, "raw_p95_ms": 3.0},
    },
    "generation": {
        "ttft_s": 1.2,
        "raw_ttft_s": 1.0,
        "warm_ttft_s": 0.9,
        "raw_warm_ttft_s": 0.9,
        "tokens_per_s": 45.0,
        "raw_tokens_per_s": 50.0,
    },
}


def test_the_summary_gives_ratios_and_gaps_computed_from_the_figures():
    table = summary_table(RESULTS)
    assert "| ingest chunks/s (1000) | 18 | 20 | x0.9 |" in table
    assert "| search p95 ms (1000 chunks) | 16 | 3 | +13.0 ms, of which 12 ms query" in table
    assert "| first token s, cold (advise vs llama.cpp) | 1.2 | 1 | x1.20 |" in table
    assert "| tokens/s | 45 | 50 | x0.90 |" in table
    assert "verdict card" not in table, "a group not measured gets no row"
