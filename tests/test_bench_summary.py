"""The bench's summary puts each figure beside the raw engine's, with the ratio or gap."""

from benchmarks.bench import summary_table

RESULTS = {
    "mode": "quick",
    "ingest": {"1000": {"chunks_per_s": 18.0, "raw_chunks_per_s": 20.0, "ratio": 0.9}},
    "search": {
        "query_embedding_ms": 12.0,
        "1000": {
            "p95_ms": 16.0,
            "raw_p95_ms": 3.0,
            "embed_p50_ms": 9.0,
            "embed_p95_ms": 12.0,
            "overhead_ms": 0.5,
        },
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
    assert (
        "| search p95 ms (1000 chunks) | 16 | 3 | +13.0 ms: query embedding p50 9 / p95 12 ms, "
        "own 0.5 ms |" in table
    )
    assert (
        "| rewording first token s, cold (app's chat model vs llama.cpp) | 1.2 | 1 | x1.20 |"
        in table
    )
    assert "| tokens/s | 45 | 50 | x0.90 |" in table
    assert "full composed answer s, p50 (app" not in table, "a group not measured gets no row"


def test_the_app_rows_compare_both_clients_with_the_coach_alone_on_the_same_scenarios():
    app = {
        "card_p50_s": 0.15,
        "direct_card_p50_s": 0.05,
        "card_overhead": 2.0,
        "ttft_p50_s": 1.65,
        "direct_ttft_p50_s": 1.5,
        "overhead": 0.1,
        "sse_card_p50_s": 0.07,
        "sse_direct_card_p50_s": 0.05,
        "sse_card_overhead": 0.4,
        "sse_ttft_p50_s": 1.53,
        "sse_direct_ttft_p50_s": 1.48,
        "sse_overhead": 0.02,
        "first_request_card_s": 0.9,
        "first_request_token_s": 2.5,
        "cold_start_s": 20.0,
        "rss_idle_mb": 800.0,
        "rss_4_sessions_mb": 1100.0,
    }
    table = summary_table({**RESULTS, "app": app})
    assert "(app through gradio_client vs coach) | 0.15 | 0.05 | x3.00 (+0.100 s) |" in table
    # The SSE requests run other scenarios than the gradio_client ones: each side is
    # compared with the direct calls on its own scenarios, by the median of paired ratios.
    assert "(app over HTTP/SSE vs coach) | 1.53 | 1.48 | x1.02 (+0.050 s) |" in table
    assert "(app through gradio_client vs coach) | 1.65 | 1.5 | x1.10 (+0.150 s) |" in table
    assert "| first request after start: composed / final answer s | 0.9 / 2.5 | | |" in table


def test_measuring_one_group_keeps_the_others_from_the_earlier_run(fake_settings, tmp_path):
    import json

    from benchmarks.bench import run_bench

    earlier = {**RESULTS, "quality": {"verdict_dev": {"accuracy": 0.1}}}
    (tmp_path / "bench.json").write_text(json.dumps(earlier))
    results = run_bench(fake_settings, True, tmp_path, lambda line: None, only=["quality"])
    written = json.loads((tmp_path / "bench.json").read_text())
    assert written == results
    assert written["ingest"] == RESULTS["ingest"] and written["generation"] == RESULTS["generation"]
    assert written["quality"]["verdict_dev"]["accuracy"] != 0.1, "quality was measured again"
    assert written["remeasured"] == ["quality"]
    assert "| tokens/s | 45 | 50 | x0.90 |" in (tmp_path / "bench.md").read_text()
