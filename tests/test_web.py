import re
from pathlib import Path

import gradio as gr
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.assessment import Assessor
from assistant.web import BriefFolder, build_demo, chat_handler, page_handlers, prep_handler
from assistant.wiring import build_coach

from .conftest import KNOWLEDGE


@pytest.fixture
def fake_coach(make_coach):
    return make_coach("ok", repeat=10)


def test_the_handler_streams_into_the_chat_with_card_answer_and_sources(fake_coach):
    respond = chat_handler(fake_coach)
    message = "My new designer wants to run the <b>client workshop</b> alone, no harm done."
    shown = [(history[-1]["content"], box) for history, box in respond(message, [])]
    history, box = list(respond(message, []))[-1]
    assert box == ""
    assert shown[0][0] == "…", "a placeholder shows at once"
    assert "What to do now" in shown[1][0], "then the whole composed answer"
    assert history[0] == {"role": "user", "content": message}
    answer = history[-1]["content"]
    assert "Verdict:" in answer and "**Sources**" in answer
    assert "<b>" not in answer, "markup from the scenario is shown as text, not rendered"
    assert "in context" in answer, "each source offers its passage on demand"
    assert not re.search(r"\b[0-9a-f]{16,}\b", answer), "chunk ids stay in the API"


def test_the_handler_turns_errors_into_a_message_not_a_traceback(fake_settings):
    coach = build_coach(
        fake_settings, chat_model=GenericFakeChatModel(messages=iter([])), assessor=Assessor(None)
    )
    history, _ = list(chat_handler(coach)("My deputy wants to lead the meeting.", []))[-1]
    assert history[-1]["content"].startswith("⚠️")
    assert "assistant ingest" in history[-1]["content"]
    assert "Traceback" not in history[-1]["content"]


def test_the_page_shows_the_active_backends(fake_coach):
    demo = build_demo(fake_coach)
    config = str(demo.config)
    assert "scripted" in config and "fake-hashing-256" in config


def test_meeting_briefs_do_not_pile_up_in_temporary_folders(fake_coach):
    briefs = BriefFolder(max_age=0)
    prepare_meeting = prep_handler(fake_coach, briefs)
    paths = [
        Path(prepare_meeting(f"Quarterly review {n}", "Ana", "new", "budget", "")[1] or "")
        for n in range(3)
    ]
    assert paths[-1].read_text(encoding="utf-8").startswith("# Meeting brief")
    assert not paths[0].exists() and not paths[0].parent.exists()
    assert [p.name for p in briefs.path.iterdir()] == [paths[-1].parent.name]


def test_the_page_and_widget_delete_gradios_file_cache_on_a_schedule(fake_coach):
    from assistant.web import DELETE_CACHE, build_widget

    assert build_demo(fake_coach).delete_cache == DELETE_CACHE
    assert build_widget(fake_coach).delete_cache == DELETE_CACHE


def test_a_refused_oversized_message_never_enters_the_conversation(fake_coach):
    respond = chat_handler(fake_coach)
    pasted = "My team lead " + "blah " * 20_000
    history, box = list(respond(pasted, []))[-1]
    assert box == pasted, "the message stays in the box to be shortened"
    assert all(pasted not in str(m["content"]) for m in history)
    assert history[-1]["content"].startswith("⚠️") and "limit is 4000" in history[-1]["content"]
    history, _ = list(respond("and her?", history))[-1]
    assert [m["content"] for m in history if m["role"] == "user"] == ["and her?"]


@pytest.mark.slow
def test_the_launched_app_answers_through_gradio_client_with_sources(real_app):
    from gradio_client import Client

    client = Client(f"{real_app.url}/", verbose=False)
    job = client.submit(
        "My veteran engineer wants to lead the risky database migration. Should I step in?",
        [],
        api_name="/respond",
    )
    history, _ = job.result(timeout=300)
    assert len(job.outputs()) > 2, "the answer should stream"
    content = history[-1]["content"]
    answer = content if isinstance(content, str) else "".join(p["text"] for p in content)
    assert "Verdict:" in answer
    assert "**Sources**" in answer
    corpus = "\n".join(p.read_text() for p in Path(KNOWLEDGE).rglob("*.md"))
    quotes = re.findall(r"^\d+\. \*.*?\*: “(.*)”$", answer, flags=re.M)
    assert quotes
    for quote in quotes:
        assert quote.replace("&amp;", "&") in corpus or quote in corpus
    assert "Ingested" in real_app.log(), "an empty store is filled on start"

    plan, brief = client.predict(
        "Quarterly review with our largest client, who is unhappy",
        "Maya, our new account lead",
        "first month in the role",
        "a renewal worth a third of our revenue",
        "she may promise dates the team cannot meet",
        api_name="/prepare_meeting",
    )
    assert "Verdict" in plan and "Tripwires" in plan
    assert Path(brief).read_text(encoding="utf-8").startswith("# Meeting brief")


def test_the_page_shows_the_composed_answer_in_one_event_and_its_rewording_in_a_follow_up(
    fake_coach,
):
    compose, reword = page_handlers(fake_coach)
    message = "My new designer wants to run the client workshop alone."
    shown = [(h[-1]["content"], box, work) for h, box, work in compose(message, [])]
    assert shown[0][0] == "…", "a placeholder shows at once"
    history, box, work = list(compose(message, []))[-1]
    assert box == "" and work, "the rewording is left to the follow-up event"
    assert "What to do now" in history[-1]["content"]
    updates = list(reword(history, work))
    assert updates, "the follow-up event runs the rewording"
    # The chat is sent again only when the rewording changed it (here the gate may withhold
    # the scripted text): sending it unchanged would redraw every message.
    for chat in (u for u in updates if isinstance(u, list)):
        assert [m["role"] for m in chat] == ["user", "assistant"]
        assert "Verdict:" in chat[-1]["content"] and "**Sources**" in chat[-1]["content"]
    assert list(reword(history, work)) == [gr.skip()], "a token is used once"


def test_the_page_api_keeps_one_respond_endpoint_for_the_whole_answer(fake_coach):
    demo = build_demo(fake_coach)
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert "respond" in names
    public = [
        d["api_name"]
        for d in demo.config["dependencies"]
        if d.get("api_visibility", "public") == "public" and d.get("api_name")
    ]
    assert sorted(public) == ["prepare_meeting", "respond"]
