from langchain_core.messages import HumanMessage, SystemMessage

from assistant.prompts import rewrite_messages, rewrite_system
from assistant.retrieval import Passage


def _passage(text: str, title: str = "Title") -> Passage:
    return Passage("id-1", "/lib/a.md", title, text, 0.8)


def test_the_rewording_prompt_carries_the_plan_and_the_situation_and_no_secret_label():
    messages = rewrite_messages("My deputy wants to run it.", "Decision: Step back.", "CANARY-1")
    assert isinstance(messages[0], SystemMessage) and isinstance(messages[-1], HumanMessage)
    assert "Keep the decision exactly as given" in messages[0].content
    assert "CANARY-1" in messages[0].content == rewrite_system("CANARY-1")
    assert "My deputy" in messages[-1].content and "Step back" in messages[-1].content
