"""The real embedded models end to end: one load of each, shared across these tests."""

import pytest

from assistant.config import load_settings
from assistant.wiring import build_retriever

pytestmark = pytest.mark.slow


def test_the_real_models_answer_with_a_composed_plan_whose_citations_quote_stored_chunks(
    real_coach,
):
    replies = list(
        real_coach.stream_chat(
            "My experienced team lead wants to run the client negotiation on her own next week. "
            "Should I step in or step back?"
        )
    )
    first, final = replies[0], replies[-1]
    assert first.plan is not None and "What to do now" in first.text
    assert final.done and final.gate is not None, "the real chat model was asked to reword"
    assert final.citations
    store = real_coach.retriever.store
    for citation in final.citations:
        [chunk] = store.get([citation.chunk_id])
        assert citation.quote in chunk.page_content
        assert citation.title == chunk.metadata["title"]


def test_the_leading_from_behind_text_is_retrievable_from_the_real_store(
    real_library, real_embedder
):
    settings = load_settings({"ASSISTANT_DATA_DIR": str(real_library)})
    retriever = build_retriever(settings, embedder=real_embedder)
    passages = retriever.search("leading from behind: letting the nimble go ahead", 5)
    assert any(p.source.endswith("leading-from-behind.md") for p in passages)
    assert passages[0].score > 0.4


def test_a_follow_up_retrieves_on_the_whole_situation(real_coach):
    turns = ["My designer wants to run the client workshop alone.", "and if she's new to the team?"]
    query = real_coach.conversation.replay(turns)[-1].situation
    assert "client workshop" in query and "new to the team" in query
    retriever = real_coach.retriever
    titles = [p.title.lower() for p in retriever.search(query, 5)]
    assert any("new" in t or "first-time" in t or "first time" in t for t in titles), titles


def test_a_real_verdict_for_harm_happening_now_is_step_in(real_coach):
    advice = real_coach.advise(
        "One of my support agents just noticed that our newsletter tool is sending customers' "
        "home addresses to the entire mailing list, and it is still going out."
    )
    assert advice.verdict == "step_in"
    assert advice.citations
    assert advice.backend["embeddings"] == "all-MiniLM-L6-v2"
    assert advice.backend["chat"].startswith("llama.cpp:")


QUERIES = [
    "",
    "hi",
    "My team lead keeps missing deadlines while a customer escalates; should I step in?",
    "Ünïcode — a quieter voice ✓ " * 12,
    "word " * 400,  # past the encoder's 256-token limit: truncated the same way
]


def test_a_traced_query_embeds_exactly_as_the_encoder_embeds_a_document(real_embedder):
    embeddings = real_embedder.embeddings
    expected = embeddings.embed_documents(QUERIES)
    for text, want in zip(QUERIES, expected, strict=True):
        got = embeddings.embed_query(text)
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-5, text[:40]
    assert embeddings.queries._traced is not None, "the trace should have been built"


def test_the_verdict_of_one_scenario_is_the_verdict_of_the_batch(real_coach):
    model = real_coach.assessor.model
    batch = model.probabilities(QUERIES[1:])
    for text, want in zip(QUERIES[1:], batch, strict=True):
        [got] = model.probabilities([text])
        assert all(abs(got[k] - want[k]) < 1e-4 for k in want), text[:40]


def test_warm_up_loads_the_models_and_caches_the_system_prompt(real_coach):
    llama = real_coach.chat_model.model()
    llama.reset()
    real_coach.warm_up()
    cached = llama.detokenize(llama.input_ids[: llama.n_tokens].tolist()).decode()
    assert "Keep the decision exactly as given" in cached, "the rewording prompt is the one cached"
    assert real_coach.assessor.model.single._traced is not None
