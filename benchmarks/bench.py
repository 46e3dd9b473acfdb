"""`assistant bench`: what users feel, each figure beside the raw engine underneath.

It lives beside the package and drives the product through its public seams (build_coach,
Coach.plan and stream, Retriever, Ingestor, Store), so the figures are the product's own.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings

__all__ = ["run_bench", "summary_table"]

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "retrieval_questions.jsonl"
DEV_SPLIT = Path(__file__).resolve().parents[1] / "eval" / "scenarios_dev.jsonl"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _corpus(n_chunks: int, folder: Path, knowledge: Path) -> None:
    """About n_chunks chunks of real prose: knowledge texts, varied copies."""
    texts = [p.read_text() for p in sorted(knowledge.glob("*.md"))]
    per_file = 11  # chunks per knowledge file at the default chunk size, roughly
    for i in range(max(1, n_chunks // per_file)):
        body = texts[i % len(texts)]
        (folder / f"doc-{i:05d}.md").write_text(f"# Copy {i}\n\n{body}\n\nVariant {i}.\n")


def bench_ingest(settings: Settings, sizes: list[int], log: Callable[[str], None]) -> dict:
    from assistant.backends import make_embeddings
    from assistant.documents import load_source, split
    from assistant.ingestion import Ingestor
    from assistant.store import open_store

    embedder = make_embeddings(settings)
    raw = embedder.embeddings.encoder  # type: ignore[attr-defined] # sentence-transformers alone
    results: dict[str, Any] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "lib"
            folder.mkdir()
            _corpus(size, folder, settings.knowledge_dir)
            chunks = [
                c
                for f in sorted(folder.glob("*.md"))
                for c in split(load_source(str(f), f), settings.chunk_size, settings.chunk_overlap)
            ]
            texts = [f"{c.metadata.get('title', '')}\n{c.page_content}" for c in chunks]
            store = open_store(Path(tmp) / "store", "bench")
            ingestor = Ingestor(store, embedder, settings.chunk_size, settings.chunk_overlap)

            # The raw encoder runs before and after ours and the mean is the reference, so a
            # machine slowing down or speeding up during the run does not pick a side.
            raw_before = _timed(raw.encode, texts, batch_size=32, normalize_embeddings=True)
            started = time.perf_counter()
            report = ingestor.run([folder], progress=False)
            ours = time.perf_counter() - started
            raw_after = _timed(raw.encode, texts, batch_size=32, normalize_embeddings=True)
            raw_s = (raw_before + raw_after) / 2
            results[str(size)] = {
                "chunks": report.added,
                "chunks_per_s": round(report.added / ours, 2),
                "raw_chunks_per_s": round(len(texts) / raw_s, 2),
                "ratio": round((report.added / ours) / (len(texts) / raw_s), 3),
            }
            log(f"ingest {size}: {results[str(size)]}")
    results["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return results


def _prose_chunks(settings: Settings) -> list[Any]:
    """The knowledge texts' chunks: real prose, so BM25 meets real word frequencies."""
    from assistant.documents import load_source, split

    files = sorted(settings.knowledge_dir.rglob("*.md"))
    return [
        c
        for f in files
        for c in split(load_source(str(f), f), settings.chunk_size, settings.chunk_overlap)
    ]


def bench_search(settings: Settings, sizes: list[int], log: Callable[[str], None]) -> dict:
    """Hybrid search (ours) beside the dense-only search it replaced and raw Chroma, over
    stored chunks of real prose with random unit vectors (Chroma's cost does not depend on
    what the vectors mean; BM25's depends on the words)."""
    import numpy as np
    from langchain_core.documents import Document

    from assistant.backends import make_embeddings
    from assistant.backends.embedded import EmbeddedEmbeddings
    from assistant.retrieval import Retriever
    from assistant.store import open_store

    embedder = make_embeddings(settings)
    rng = np.random.default_rng(7)
    prose = _prose_chunks(settings)
    queries = [
        "How do I hand control back after an incident?",
        "My new hire wants to present to the board alone.",
        "When should a manager intervene in a conflict?",
        "How can I build trust with a remote team?",
    ]
    embed_query = embedder.embed_query  # what the retriever calls
    embed_query(queries[0])  # builds the query trace, once per process
    embed_ms = [_timed(embed_query, f"{q} ({i})") * 1000 for i in range(5) for q in queries]
    results: dict[str, Any] = {"query_embedding_ms": round(statistics.median(embed_ms), 2)}
    if isinstance(embedder.embeddings, EmbeddedEmbeddings):
        encoder = embedder.embeddings.documents  # sentence-transformers alone
        st_ms = [
            _timed(encoder.embed_query, f"{q} ({i})") * 1000 for i in range(5) for q in queries
        ]
        results["encoder_query_embedding_ms"] = round(statistics.median(st_ms), 2)
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp), "bench")
            store.check_model(embedder.name, embedder.dim)
            batch = 5000
            for start in range(0, size, batch):
                n = min(batch, size - start)
                vectors = rng.normal(size=(n, embedder.dim)).astype("float32")
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                docs = []
                for i in range(start, start + n):
                    chunk = prose[i % len(prose)]
                    docs.append(
                        Document(
                            id=f"c{i}",
                            page_content=f"{chunk.page_content}\n(copy {i // len(prose)})",
                            metadata={"source": f"s{i // 10}", "title": chunk.metadata["title"]},
                        )
                    )
                store.add(docs, vectors.tolist())
            store.mark_changed()
            hybrid = Retriever(store, embedder, settings.top_k, mode="hybrid")
            dense = Retriever(store, embedder, settings.top_k, mode="dense")
            build_s = _timed(hybrid.lexical_index)  # done by the app's warm-up, before users
            collection = store.collection  # the raw Chroma collection, same data
            ours: list[float] = []
            old: list[float] = []
            raw, embed, own = [], [], []
            for index, q in enumerate(f"{q} ({i})" for i in range(25) for q in queries):
                # Which search goes first alternates, so neither is favoured by a warm cache.
                sides = [(hybrid, ours), (dense, old)]
                for retriever, times in sides if index % 2 == 0 else sides[::-1]:
                    times.append(_timed(retriever.search, q) * 1000)
                # The same query again, split into its two parts: embedding, then Chroma.
                begun = time.perf_counter()
                vector = embedder.embed_query(q)
                embed.append((time.perf_counter() - begun) * 1000)
                raw.append(
                    _timed(
                        collection.query,
                        query_embeddings=[vector],
                        n_results=settings.top_k * 3,
                        include=["documents", "metadatas", "distances"],
                    )
                    * 1000
                )
                own.append(ours[-1] - embed[-1] - raw[-1])
            results[str(size)] = {
                "p50_ms": round(statistics.median(ours), 2),
                "p95_ms": round(_pct(ours, 0.95), 2),
                "dense_p50_ms": round(statistics.median(old), 2),
                "dense_p95_ms": round(_pct(old, 0.95), 2),
                "raw_p50_ms": round(statistics.median(raw), 2),
                "raw_p95_ms": round(_pct(raw, 0.95), 2),
                "embed_p50_ms": round(statistics.median(embed), 2),
                "embed_p95_ms": round(_pct(embed, 0.95), 2),
                # What search adds beyond embedding and Chroma, from paired runs.
                "overhead_ms": round(statistics.median(own), 2),
                # Reading every text back from Chroma and indexing it (at start, after ingest).
                "lexical_build_s": round(build_s, 2),
            }
            log(f"search {size}: {results[str(size)]}")
    return results


def _composed_plan(coach: Any, scenario: str) -> tuple[Any, float]:
    """The coach's groundwork for a scenario and the seconds to its composed answer (no
    generation runs: the stream is closed after the composed answer, which comes first)."""
    started = time.perf_counter()
    work = coach.plan(scenario)
    replies = coach.stream(work)
    try:
        next(replies)
    finally:
        replies.close()
    return work, time.perf_counter() - started


def _stream_model(chat_model: Any, messages: list[Any]) -> tuple[float | None, float, str]:
    """Time to the first token, total time and the text, through the app's chat model."""
    started = time.perf_counter()
    first, text = None, ""
    for chunk in chat_model.stream(messages):
        piece = chunk.content if isinstance(chunk.content, str) else ""
        if piece and first is None:
            first = time.perf_counter() - started
        text += piece
    return first, time.perf_counter() - started, text


def _raw_stream(
    llama: Any, messages: list[dict[str, str]], settings: Settings
) -> tuple[float | None, float, int]:
    started = time.perf_counter()
    first, pieces = None, 0
    for part in llama.create_chat_completion(
        messages=messages,
        stream=True,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
    ):
        if part["choices"][0].get("delta", {}).get("content"):
            pieces += 1
            if first is None:
                first = time.perf_counter() - started
    return first, time.perf_counter() - started, pieces


def bench_generation(settings: Settings, log: Callable[[str], None], runs: int = 6) -> dict:
    """The gated rewording through the app's chat model against llama.cpp alone on the same
    prompts, cold and with the prefix cached; and the time to the composed answer.

    Cold: the KV cache is emptied first, so the whole prompt is read. Warm: the previous
    request was a different scenario, so only the shared system prompt is reused; that is
    what a running app sees. Every run uses a scenario of its own.
    """
    from assistant.assessment import load_bank
    from assistant.backends.llama_cpp import llama_messages
    from assistant.wiring import build_coach

    coach = build_coach(settings)
    coach.warm_up()
    llama = coach.chat_model.model()  # type: ignore[attr-defined] # the same loaded llama.cpp
    # Scenarios the coach answers with a plan to reword (not an off-topic redirect).
    answered = (row["scenario"] for row in load_bank(DEV_SPLIT))
    scenarios = list(itertools.islice((s for s in answered if _card_then_text(coach, s)), runs + 1))
    coach.advise(scenarios[0])  # warm: model load, first KV allocation

    def messages_for(scenario: str) -> tuple[list[Any], float]:
        work, composed_s = _composed_plan(coach, scenario)
        return work.prompt, composed_s  # the very prompt the coach sends

    cold: list[float] = []
    raw_cold: list[float] = []
    warm: list[float] = []
    raw_warm: list[float] = []
    rates: list[float] = []
    raw_rates: list[float] = []
    prompt_tokens: list[int] = []
    composed: list[float] = []
    for index, scenario in enumerate(scenarios[1:], start=1):
        messages, composed_s = messages_for(scenario)
        composed.append(composed_s)
        as_dicts = llama_messages(messages)
        prompt_tokens.append(len(llama.tokenize(json.dumps(as_dicts).encode())))
        is_cold = index % 2 == 1
        if is_cold:
            llama.reset()
        first, total, text = _stream_model(coach.chat_model, messages)
        tokens = len(llama.tokenize(text.encode(), add_bos=False))
        (cold if is_cold else warm).append(first or total)
        rates.append(tokens / max(total - (first or 0), 1e-6))
        # llama.cpp alone from the same cache state: empty, or holding another scenario.
        if is_cold:
            llama.reset()
        else:
            previous, _ = messages_for(scenarios[index - 1])
            _raw_stream(llama, llama_messages(previous), settings)
        raw_first, raw_total, pieces = _raw_stream(llama, as_dicts, settings)
        (raw_cold if is_cold else raw_warm).append(raw_first or raw_total)
        raw_rates.append(pieces / max(raw_total - (raw_first or 0), 1e-6))
    result = {
        "composed_answer_p50_s": round(statistics.median(composed), 3),
        "composed_answer_p95_s": round(_pct(composed, 0.95), 3),
        "ttft_s": round(statistics.median(cold), 3),
        "raw_ttft_s": round(statistics.median(raw_cold), 3),
        "warm_ttft_s": round(statistics.median(warm), 3),
        "raw_warm_ttft_s": round(statistics.median(raw_warm), 3),
        "tokens_per_s": round(statistics.median(rates), 1),
        "raw_tokens_per_s": round(statistics.median(raw_rates), 1),
        "prompt_tokens": int(statistics.median(prompt_tokens)),
        "runs": len(scenarios) - 1,
    }
    log(f"generation: {result}")
    return result


def _sse_times(http: Any, base: str, fn_index: int, scenario: str) -> tuple[float, float]:
    """Seconds to the composed answer and to the final one, over Gradio's own HTTP protocol
    (join the queue, then read the event stream), as the page's JavaScript client does.

    `http` is an open httpx.Client, as a browser keeps its connection: creating one builds
    an SSL context (30-55 ms here), which gradio_client pays on every request (it calls
    httpx.post) on top of checking for new messages every 50 ms (gradio_client/utils.py,
    stream_sse_v1plus). Neither is the app's time.
    """
    import uuid

    session = uuid.uuid4().hex[:12]
    begun = time.perf_counter()
    card = token = None
    http.post(
        f"{base}/gradio_api/queue/join",
        json={"data": [scenario, []], "fn_index": fn_index, "session_hash": session},
    ).raise_for_status()
    with http.stream("GET", f"{base}/gradio_api/queue/data?session_hash={session}") as events:
        for line in events.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed":
                token = time.perf_counter() - begun  # the final answer, after the rewording
                break
            if message.get("msg") != "process_generating":
                continue
            if card is None and "What to do now" in line:
                card = time.perf_counter() - begun
    end = time.perf_counter() - begun
    return card or end, token or end


def _card_then_text(coach: Any, scenario: str) -> bool:
    """Whether the coach answers with a composed answer and then rewords it (no generation
    is run: the composed answer comes before the model is called)."""
    work = coach.plan(scenario)
    return work.plan is not None and work.situational and bool(work.passages)


def _direct_times(coach: Any, scenario: str) -> tuple[float, float]:
    """Seconds to the composed answer and to the final one (after the gated rewording)."""
    begun = time.perf_counter()
    card = None
    for reply in coach.stream_chat(scenario):
        if card is None and reply.plan is not None and reply.text:
            card = time.perf_counter() - begun
    return card or 0.0, time.perf_counter() - begun


def bench_app(settings: Settings, requests: int, log: Callable[[str], None]) -> dict:
    import subprocess
    import urllib.request

    import httpx
    from gradio_client import Client

    from assistant.assessment import load_bank
    from assistant.wiring import build_coach

    bank = [row["scenario"] for row in load_bank(DEV_SPLIT)]
    with tempfile.TemporaryDirectory() as tmp:
        # A copy of the filled store, as on any start but the first: the start-up figures
        # are then the app's own (ingest speed is measured above).
        shutil.copytree(settings.data_dir, Path(tmp) / "data")
        port = 7900 + random.randint(0, 90)
        env = {
            **os.environ,
            "ASSISTANT_DATA_DIR": str(Path(tmp) / "data"),
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            health = f"http://127.0.0.1:{port}/healthz"
            cold = warm = None
            while warm is None:
                try:
                    with urllib.request.urlopen(health, timeout=1) as response:
                        cold = cold or time.perf_counter() - started
                        if json.loads(response.read()).get("warm"):
                            warm = time.perf_counter() - started  # models loaded, traces built
                except OSError:
                    pass
                if process.poll() is not None or time.perf_counter() - started > 600:
                    raise RuntimeError("the app did not start")
                time.sleep(0.1)
            idle_rss = _rss_mb(process.pid)
            # Plain HTTP on loopback: nothing to verify, and with verification on, gradio_client
            # builds a CA store for every request it sends (httpx.post; ~30 ms here).
            client = Client(f"http://127.0.0.1:{port}/", verbose=False, ssl_verify=False)

            def ttft(scenario: str) -> tuple[float, float]:
                """Seconds to the composed answer, and to the final answer after it."""
                begun = time.perf_counter()
                job = client.submit(scenario, [], api_name="/respond")
                card = token = None
                card_text = ""
                while not job.done() or token is None:
                    outputs = job.outputs()
                    text = str(outputs[-1][0][-1]["content"]) if outputs else ""
                    if card is None and "What to do now" in text:
                        card, card_text = time.perf_counter() - begun, text
                    elif card is not None and token is None and text != card_text:
                        token = time.perf_counter() - begun
                    if job.done() and token is None:
                        token = time.perf_counter() - begun
                    time.sleep(0.005)
                job.result()  # let the answer finish: the next request must not queue behind
                end = time.perf_counter() - begun
                return (card if card is not None else end), token

            # The coach called directly, in this process, over the same knowledge texts, on
            # the same scenario as the app request it is paired with. Each app request gets a
            # scenario of its own (a repeat would find its whole prompt in llama.cpp's cache),
            # one the coach answers with a card and then generated text, and which side goes
            # first alternates, so a machine getting busier or quieter during the run weighs
            # on both sides alike.
            coach = build_coach(settings)
            coach.warm_up()
            chosen = (s for s in bank[40:] if _card_then_text(coach, s))
            answered = list(itertools.islice(chosen, 2 * requests + 1))
            scenarios, sse_scenarios = answered[:requests], answered[requests : 2 * requests]
            first_request = ttft(answered[-1])
            config = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/config").read())
            [fn_index] = [d["id"] for d in config["dependencies"] if d.get("api_name") == "respond"]
            base = f"http://127.0.0.1:{port}"
            timed, sse, direct, sse_direct = [], [], [], []
            with httpx.Client(timeout=120) as http:
                pairs = zip(scenarios, sse_scenarios, strict=True)
                for index, (scenario, other) in enumerate(pairs):
                    steps = [
                        lambda s=scenario: timed.append(ttft(s)),
                        lambda s=scenario: direct.append(_direct_times(coach, s)),
                        lambda s=other: sse.append(_sse_times(http, base, fn_index, s)),
                        lambda s=other: sse_direct.append(_direct_times(coach, s)),
                    ]
                    order = [0, 1, 2, 3] if index % 2 == 0 else [1, 0, 3, 2]
                    for step in order:
                        steps[step]()
            peak = [idle_rss]
            jobs = [client.submit(s, [], api_name="/respond") for s in answered[-4:]]
            while not all(j.done() for j in jobs):
                peak.append(_rss_mb(process.pid))
                time.sleep(0.2)
            busy_rss = max(peak)
        finally:
            process.terminate()
            process.wait(timeout=30)

    def overhead(app: list[float], own: list[float]) -> float:
        """Median over paired requests of app time / direct time, minus one."""
        return round(
            statistics.median(a / max(d, 1e-6) for a, d in zip(app, own, strict=True)) - 1, 3
        )

    app_card, app_token = [c for c, _ in timed], [t for _, t in timed]
    direct_card, direct_token = [c for c, _ in direct], [t for _, t in direct]
    sse_card, sse_token = [c for c, _ in sse], [t for _, t in sse]
    other_card, other_token = [c for c, _ in sse_direct], [t for _, t in sse_direct]
    # "card" is the whole composed answer (verdict, why, moves, what to say, sources), which
    # needs no model; "ttft" is the final answer, after the gated rewording.
    result = {
        "ttft_p50_s": round(statistics.median(app_token), 3),
        "ttft_p95_s": round(_pct(app_token, 0.95), 3),
        "direct_ttft_p50_s": round(statistics.median(direct_token), 3),
        "overhead": overhead(app_token, direct_token),
        "card_p50_s": round(statistics.median(app_card), 3),
        "card_p95_s": round(_pct(app_card, 0.95), 3),
        "direct_card_p50_s": round(statistics.median(direct_card), 3),
        "card_overhead": overhead(app_card, direct_card),
        "sse_ttft_p50_s": round(statistics.median(sse_token), 3),
        "sse_direct_ttft_p50_s": round(statistics.median(other_token), 3),
        "sse_overhead": overhead(sse_token, other_token),
        "sse_card_p50_s": round(statistics.median(sse_card), 3),
        "sse_direct_card_p50_s": round(statistics.median(other_card), 3),
        "sse_card_overhead": overhead(sse_card, other_card),
        "first_request_card_s": round(first_request[0], 3),
        "first_request_token_s": round(first_request[1], 3),
        "cold_start_s": round(cold or 0.0, 2),
        "warm_start_s": round(warm, 2),
        "rss_idle_mb": round(idle_rss, 1),
        "rss_4_sessions_mb": round(busy_rss, 1),
    }
    log(f"app: {result}")
    return result


def bench_quality(settings: Settings, log: Callable[[str], None]) -> dict:
    from assistant.assessment import load_bank
    from assistant.evaluation import evaluate
    from assistant.retrieval_eval import evaluate_retrieval, load_questions
    from assistant.wiring import build_assessor, build_ingestor, build_retriever

    result: dict[str, Any] = {}
    assessor = build_assessor(settings)
    result["verdict_dev"] = evaluate(load_bank(DEV_SPLIT), lambda s: assessor.assess(s).verdict)
    if QUESTIONS.exists():
        with tempfile.TemporaryDirectory() as tmp:
            local = settings.model_copy(update={"data_dir": Path(tmp)})
            build_ingestor(local).run([settings.knowledge_dir], progress=False)
            retriever = build_retriever(local)
            scores = evaluate_retrieval(
                load_questions(QUESTIONS), lambda q, k: [p.text for p in retriever.search(q, k)]
            )
            result["retrieval_hit_rate_at_1"] = scores["hit_at_1"]
            result["retrieval_hit_rate_at_5"] = scores["hit_at_5"]
            result["retrieval_mrr"] = scores["mrr"]
            result["retrieval_questions"] = scores["n"]
    log(
        f"quality: accuracy {result['verdict_dev']['accuracy']}, "
        f"hit@5 {result.get('retrieval_hit_rate_at_5')}"
    )
    return result


def _plots(results: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    search = results.get("search", {})
    sizes = [k for k in search if k.isdigit()]
    if sizes:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        xs = [int(s) for s in sizes]
        ax.plot(xs, [search[s]["p95_ms"] for s in sizes], "o-", label="search p95")
        ax.plot(xs, [search[s]["raw_p95_ms"] for s in sizes], "s--", label="raw Chroma p95")
        ax.set_xscale("log")
        ax.set_xlabel("stored chunks")
        ax.set_ylabel("ms")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / "search-latency.png", dpi=110)
        plt.close(fig)
    if "generation" in results:
        g = results["generation"]
        fig, ax = plt.subplots(figsize=(4, 3.2))
        labels = ["advise", "llama.cpp alone"]
        values = [g["ttft_s"], g["raw_ttft_s"]]
        if "app" in results:
            labels.append("through the app")
            values.append(results["app"]["ttft_p50_s"])
        ax.bar(labels, values)
        ax.set_ylabel("time to first token, s")
        fig.tight_layout()
        fig.savefig(folder / "ttft.png", dpi=110)
        plt.close(fig)


def summary_table(results: dict) -> str:
    """Markdown table: each figure of ours beside the raw engine's, with the ratio."""
    rows = ["| figure | ours | raw engine | ratio or gap |", "| --- | --- | --- | --- |"]

    def row(name: str, ours: float, raw: float, gap: str) -> None:
        rows.append(f"| {name} | {ours:g} | {raw:g} | {gap} |")

    for size, ingest in results.get("ingest", {}).items():
        if isinstance(ingest, dict):
            row(
                f"ingest chunks/s ({size})",
                ingest["chunks_per_s"],
                ingest["raw_chunks_per_s"],
                f"x{ingest['ratio']:g}",
            )
    search = results.get("search", {})
    for size, figures in search.items():
        if isinstance(figures, dict):
            row(
                f"search p95 ms ({size} chunks)",
                figures["p95_ms"],
                figures["raw_p95_ms"],
                f"+{figures['p95_ms'] - figures['raw_p95_ms']:.1f} ms: query embedding "
                f"p50 {figures.get('embed_p50_ms', search['query_embedding_ms']):g} / "
                f"p95 {figures.get('embed_p95_ms', search['query_embedding_ms']):g} ms, "
                f"own {figures.get('overhead_ms', 0):g} ms",
            )
            if "dense_p95_ms" in figures:
                row(
                    f"search p95 ms ({size} chunks), hybrid vs the dense-only search before it",
                    figures["p95_ms"],
                    figures["dense_p95_ms"],
                    f"+{figures['p95_ms'] - figures['dense_p95_ms']:.1f} ms; BM25 index built "
                    f"in {figures['lexical_build_s']:g} s",
                )
    if "encoder_query_embedding_ms" in search:
        row(
            "query embedding ms, p50 (traced vs sentence-transformers)",
            search["query_embedding_ms"],
            search["encoder_query_embedding_ms"],
            f"x{search['query_embedding_ms'] / search['encoder_query_embedding_ms']:.2f}",
        )
    gen = results.get("generation") or {}
    for label, key in (
        ("rewording first token s, cold (app's chat model vs llama.cpp)", "ttft_s"),
        ("rewording first token s, warm", "warm_ttft_s"),
        ("tokens/s", "tokens_per_s"),
    ):
        if key in gen:
            ours, raw = gen[key], gen[f"raw_{key}"]
            row(label, ours, raw, f"x{ours / raw:.2f}")
    if "composed_answer_p50_s" in gen:
        rows.append(
            f"| full composed answer s, p50 / p95 (coach, no model) | "
            f"{gen['composed_answer_p50_s']:g} / {gen['composed_answer_p95_s']:g} | | |"
        )
    app = results.get("app")
    if app:
        # Overheads are medians of per-request ratios, each app request paired with a direct
        # call on the same scenario; the p50 columns are shown beside them for scale.
        for label, ours, raw, ratio in (
            (
                "full composed answer s, p50 (app through gradio_client vs coach)",
                "card_p50_s",
                "direct_card_p50_s",
                "card_overhead",
            ),
            (
                "full composed answer s, p50 (app over HTTP/SSE, as the page reads it, vs coach)",
                "sse_card_p50_s",
                "sse_direct_card_p50_s",
                "sse_card_overhead",
            ),
            (
                "final answer after the gated rewording s, p50 "
                "(app through gradio_client vs coach)",
                "ttft_p50_s",
                "direct_ttft_p50_s",
                "overhead",
            ),
            (
                "final answer after the gated rewording s, p50 (app over HTTP/SSE vs coach)",
                "sse_ttft_p50_s",
                "sse_direct_ttft_p50_s",
                "sse_overhead",
            ),
        ):
            if all(key in app for key in (ours, raw, ratio)):
                gap = app[ours] - app[raw]
                row(label, app[ours], app[raw], f"x{1 + app[ratio]:.2f} ({gap:+.3f} s)")
        if "first_request_card_s" in app:
            rows.append(
                f"| first request after start: composed / final answer s | "
                f"{app['first_request_card_s']:g} / {app['first_request_token_s']:g} | | |"
            )
        rows.append(
            f"| cold start s (page up / models warm) | {app['cold_start_s']:g} / "
            f"{app.get('warm_start_s', 0):g} | | |"
        )
        rows.append(
            f"| RSS MB idle / 4 sessions | {app['rss_idle_mb']:g} / "
            f"{app['rss_4_sessions_mb']:g} | | |"
        )
    quality = results.get("quality")
    if quality:
        rows.append(f"| verdict accuracy (dev) | {quality['verdict_dev']['accuracy']:g} | | |")
        rows.append(f"| retrieval hit@5 | {quality['retrieval_hit_rate_at_5']:g} | | |")
        if "retrieval_mrr" in quality:
            rows.append(
                f"| retrieval hit@1 / MRR | {quality['retrieval_hit_rate_at_1']:g} / "
                f"{quality['retrieval_mrr']:g} | | |"
            )
    return "\n".join(rows)


def _markdown(results: dict) -> str:
    lines = ["# Benchmark", "", f"mode: {results['mode']}", "", summary_table(results), ""]
    for key, value in results.items():
        if isinstance(value, dict):
            lines.append(f"## {key}")
            lines.append("```json")
            lines.append(json.dumps(value, indent=2))
            lines.append("```")
    return "\n".join(lines) + "\n"


PHASES = ("ingest", "search", "generation", "app", "quality")


def run_bench(
    settings: Settings,
    quick: bool,
    out: Path,
    log: Callable[[str], None],
    only: Sequence[str] = (),
) -> dict:
    """Run every figure (or the groups in `only`, keeping the others from an earlier run of
    the same mode in `out`); write bench.json, bench.md and plots into `out`."""
    from assistant.wiring import build_ingestor

    mode = "quick" if quick else "thorough"
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"mode": mode}
    earlier = out / "bench.json"
    if only and earlier.is_file():
        kept = json.loads(earlier.read_text())
        if kept.get("mode") == mode:
            results = {**kept, "remeasured": sorted({*kept.get("remeasured", []), *only})}
    library = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        settings = settings.model_copy(update={"data_dir": library})
        build_ingestor(settings).run([settings.knowledge_dir], progress=False)
        sizes = [1000, 10000] if quick else [1000, 10000, 100000]
        phases: dict[str, Callable[[], dict]] = {
            "ingest": lambda: bench_ingest(settings, [300] if quick else [1000, 10000], log),
            "search": lambda: bench_search(settings, sizes, log),
            "generation": lambda: bench_generation(settings, log, runs=4 if quick else 16),
            "app": lambda: bench_app(settings, 2 if quick else 10, log),
            "quality": lambda: bench_quality(settings, log),
        }
        for name in PHASES:
            if only and name not in only:
                continue
            begun = time.perf_counter()
            results[name] = phases[name]()
            log(f"{name} took {time.perf_counter() - begun:.0f} s")
    finally:
        shutil.rmtree(library, ignore_errors=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    (out / "bench.md").write_text(_markdown(results))
    _plots(results, out)
    return results
