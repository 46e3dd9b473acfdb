from langchain_core.messages import HumanMessage, SystemMessage

from assistant.prompts import PROMPT_MAX_CHARS, rewrite_messages, rewrite_system
from assistant.retrieval import Passage


def _passage(text: str, title: str = "Title") -> Passage:
    return Passage("id-1", "/lib/a.md", title, text, 0.8)


def test_the_rewording_prompt_carries_the_plan_and_the_situation_and_no_secret_label():
    messages = rewrite_messages("My deputy wants to run it.", "Decision: Step back.", "CANARY-1")
    assert isinstance(messages[0], SystemMessage) and isinstance(messages[-1], HumanMessage)
    assert "Keep the decision exactly as given" in messages[0].content
    assert "CANARY-1" in messages[0].content == rewrite_system("CANARY-1")
    assert "My deputy" in messages[-1].content and "Step back" in messages[-1].content


def test_the_rewording_prompt_is_capped_where_it_is_built_keeping_the_newest_words():
    situation = "old words " * 20_000 + "and now she is stuck."
    human = rewrite_messages(situation, "Decision: step in\n" * 5_000)[-1].content
    assert isinstance(human, str)
    assert len(human) <= PROMPT_MAX_CHARS + 100  # the two labels
    assert "and now she is stuck." in human and "Decision: step in" in human
