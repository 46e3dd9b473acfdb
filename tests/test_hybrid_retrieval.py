"""Hybrid retrieval: fusion of vectors and words, diversity across documents, and a word
index that stays in step with the store through ingest, edits, deletes and killed runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.backends import EmbeddingBackend, HashingEmbeddings
from assistant.ingestion import Ingestor
from assistant.ranking import cap_per_source, reciprocal_rank_fusion, supporting_last
from assistant.retrieval import Retriever
from assistant.store import open_store


class MeaninglessEmbeddings:
    """Vectors that carry no meaning (a hash of the whole text): only words can match."""

    def _embed(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        vec = [b / 255 - 0.5 for b in digest[:16]]
        norm = sum(v * v for v in vec) ** 0.5
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


def _write(folder: Path, name: str, title: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"# {title}\n\n{body}\n")
    return path


def _setup(tmp_path: Path, embeddings=None, **kw) -> tuple[Ingestor, Retriever]:
    store = open_store(tmp_path / "data", "test")
    embedder = EmbeddingBackend(embeddings or HashingEmbeddings(), "fake")
    ingestor = Ingestor(store, embedder, chunk_size=300, chunk_overlap=0)
    return ingestor, Retriever(store, embedder, k=4, min_relevance=-1.0, **kw)


def _filler(topic: str, n: int) -> str:
    return "\n\n".join(
        f"Paragraph {i} about {topic}: people, plans and meetings go on as usual." for i in range(n)
    )


# -- fusion ---------------------------------------------------------------------------


def test_fusion_ranks_an_item_both_lists_agree_on_above_the_first_of_only_one():
    vectors = ["a", "b", "c", "d"]
    words = ["e", "c", "f", "g"]
    fused = reciprocal_rank_fusion([vectors, words])
    assert fused[0] == "c"
    assert set(fused) == {"a", "b", "c", "d", "e", "f", "g"}


def test_a_question_in_a_documents_own_words_finds_it_when_the_vectors_cannot(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "gemba.md", "Walking the floor", "Go to learn, not to inspect the gemba.")
    for i in range(6):
        _write(lib, f"other-{i}.md", f"Other topic {i}", _filler(f"topic {i}", 2))
    ingestor, hybrid = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    dense = Retriever(hybrid.store, hybrid.embedder, k=4, mode="dense")
    assert hybrid.search("what is a gemba walk for?")[0].source.endswith("gemba.md")
    assert not any(p.source.endswith("gemba.md") for p in dense.search("gemba walk?", 1))


def test_a_passage_found_only_by_its_words_carries_its_cosine_score_like_the_others(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "gemba.md", "Walking the floor", "Go to learn, not to inspect the gemba.")
    _write(lib, "other.md", "Other", _filler("budgets", 3))
    ingestor, retriever = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    query = "gemba"
    hit = retriever.search(query)[0]
    vector = retriever.embedder.embeddings.embed_query(query)
    [expected] = retriever.store.scored([hit.chunk_id], vector)
    assert -1.0 <= hit.score <= 1.0 and hit.score == expected.score


def test_a_question_naming_a_documents_title_finds_its_passages(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "kayak.md", "The kayak offsite rule", "The most junior person chooses the river.")
    for i in range(5):
        _write(lib, f"other-{i}.md", f"Other topic {i}", _filler(f"topic {i}", 2))
    ingestor, retriever = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    assert retriever.search("How does the kayak offsite work?")[0].source.endswith("kayak.md")


# -- diversity ------------------------------------------------------------------------


def test_no_document_places_more_than_the_cap_among_the_top_k_while_others_are_left():
    items = [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("a", 4), ("c", 1)]
    top = cap_per_source(items, lambda i: i[0], cap=2, k=4)
    assert top == [("a", 1), ("a", 2), ("b", 1), ("c", 1)]


def test_a_library_of_one_document_still_fills_the_top_k():
    items = [("a", n) for n in range(6)]
    assert cap_per_source(items, lambda i: i[0], cap=2, k=4) == items[:4]


def test_the_first_passages_of_a_longer_search_are_the_shorter_search(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "long.md", "Delegation", _filler("delegation and trust", 12))
    _write(lib, "short.md", "Trust", _filler("trust", 2))
    ingestor, retriever = _setup(tmp_path)
    ingestor.run([lib], progress=False)
    five = [p.chunk_id for p in retriever.search("delegation trust", 5)]
    ten = [p.chunk_id for p in retriever.search("delegation trust", 10)]
    assert ten[:5] == five


def test_searches_spread_across_documents(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "long.md", "Delegation", _filler("delegation and trust", 12))
    for i in range(3):
        _write(lib, f"short-{i}.md", f"Trust {i}", _filler("trust and delegation", 1))
    ingestor, retriever = _setup(tmp_path)
    ingestor.run([lib], progress=False)
    sources = [p.source for p in retriever.search("delegation and trust", 4)]
    assert max(sources.count(s) for s in sources) <= 2


def test_relevant_playbook_moves_come_after_relevant_texts_and_before_irrelevant_ones():
    items = [("/k/playbook/a.md", 0.9), ("/k/b.md", 0.1), ("/k/c.md", 0.5), ("/k/playbook/d", 0.4)]
    ordered = supporting_last(items, lambda i: i[0], lambda i: i[1] >= 0.2, ["*/playbook/*"])
    assert ordered == [items[2], items[0], items[3], items[1]]


# -- consistency with the store -------------------------------------------------------


def _index_ids(retriever: Retriever) -> set[str]:
    return set(retriever.lexical_index().ids)


def _store_ids(retriever: Retriever) -> set[str]:
    return {cid for cid, _, _ in retriever.store.texts()}


def test_the_word_index_follows_ingest_edit_and_delete_in_the_same_process(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "a.md", "Alpha", "The zanzibar protocol decides who speaks first.")
    _write(lib, "b.md", "Beta", "Budgets are approved by the quokka committee.")
    ingestor, retriever = _setup(tmp_path, MeaninglessEmbeddings(), refresh_s=3600)
    ingestor.run([lib], progress=False)
    assert retriever.search("zanzibar")[0].source.endswith("a.md")

    _write(lib, "a.md", "Alpha", "The marimba protocol decides who speaks first.")
    (lib / "b.md").unlink()
    ingestor.run([lib], progress=False)
    assert _index_ids(retriever) == _store_ids(retriever)
    assert retriever.search("marimba")[0].source.endswith("a.md")
    assert not any("zanzibar" in p.text or "quokka" in p.text for p in retriever.search("x", 10))
    assert retriever.lexical_index().search("zanzibar quokka", 10) == []


def test_another_process_ingest_reaches_a_running_retriever(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "a.md", "Alpha", "The zanzibar protocol decides who speaks first.")
    ingestor, _ = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    # A second store object stands for the app's process: it does not see the writer's
    # in-process counter, only what the store itself says.
    reader = Retriever(
        open_store(tmp_path / "data", "test"),
        ingestor.embedder,
        k=4,
        min_relevance=-1.0,
        refresh_s=0,
    )
    assert reader.search("zanzibar")[0].source.endswith("a.md")
    _write(lib, "b.md", "Beta", "Budgets are approved by the quokka committee.")
    ingestor.run([lib], progress=False)
    assert reader.search("quokka")[0].source.endswith("b.md")
    assert _index_ids(reader) == _store_ids(reader)


def test_after_a_killed_ingest_the_re_run_brings_a_running_retrievers_index_in_line(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "a.md", "Alpha", "The zanzibar protocol decides who speaks first.")
    ingestor, _ = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    reader = Retriever(
        open_store(tmp_path / "data", "test"), ingestor.embedder, min_relevance=-1.0, refresh_s=0
    )
    assert _index_ids(reader) == _store_ids(reader)

    # What a run killed after its writes and before it marked the store changed leaves:
    # the store holds a new file, and nothing told the readers.
    _write(lib, "b.md", "Beta", "Budgets are approved by the quokka committee.")
    ingestor.store.mark_changed = lambda: None  # type: ignore[method-assign]
    ingestor.run([lib], progress=False)
    assert _index_ids(reader) != _store_ids(reader)

    del ingestor.store.mark_changed  # the re-run, in a fresh process, ends normally
    again = ingestor.run([lib], progress=False)
    assert again.added == 0
    assert _index_ids(reader) == _store_ids(reader)
    assert reader.search("quokka")[0].source.endswith("b.md")


def test_a_fresh_process_builds_its_word_index_from_what_the_store_holds(tmp_path):
    lib = tmp_path / "lib"
    _write(lib, "a.md", "Alpha", "The zanzibar protocol decides who speaks first.")
    _write(lib, "b.md", "Beta", "Budgets are approved by the quokka committee.")
    ingestor, _ = _setup(tmp_path, MeaninglessEmbeddings())
    ingestor.run([lib], progress=False)
    ids = sorted(ingestor.store.sources()[str((lib / "b.md").resolve())])
    ingestor.store.delete(ids[:1])  # a run killed between two writes
    fresh = Retriever(open_store(tmp_path / "data", "test"), ingestor.embedder)
    assert _index_ids(fresh) == _store_ids(fresh)


@pytest.mark.parametrize("query", ["", "the and of", "zzzzqqq"])
def test_a_query_with_no_known_word_falls_back_to_the_vectors(tmp_path, query):
    lib = tmp_path / "lib"
    _write(lib, "a.md", "Alpha", "The zanzibar protocol decides who speaks first.")
    ingestor, retriever = _setup(tmp_path)
    ingestor.run([lib], progress=False)
    assert retriever.lexical_index().search(query, 5) == []
    assert len(retriever.search(query or "?")) >= 1
