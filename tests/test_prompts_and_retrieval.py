from langchain_core.messages import HumanMessage, SystemMessage

from assistant.prompts import rewrite_messages, rewrite_system
from assistant.retrieval import Passage, standalone_query


def _passage(text: str, title: str = "Title") -> Passage:
    return Passage("id-1", "/lib/a.md", title, text, 0.8)


def test_the_rewording_prompt_carries_the_plan_and_the_situation_and_no_secret_label():
    messages = rewrite_messages("My deputy wants to run it.", "Decision: Step back.", "CANARY-1")
    assert isinstance(messages[0], SystemMessage) and isinstance(messages[-1], HumanMessage)
    assert "Keep the decision exactly as given" in messages[0].content
    assert "CANARY-1" in messages[0].content == rewrite_system("CANARY-1")
    assert "My deputy" in messages[-1].content and "Step back" in messages[-1].content


def test_a_follow_up_question_carries_the_earlier_situation():
    history = [
        {"role": "user", "content": "My designer wants to run the client workshop alone."},
        {"role": "assistant", "content": "Let her lead, but prepare together."},
    ]
    query = standalone_query("and if she's new to the team?", history)
    assert "client workshop" in query and "new to the team" in query


def test_a_fresh_detailed_question_stands_alone():
    history = [{"role": "user", "content": "Something about budgets."}]
    question = "How should a hospital ward manager prepare a nurse to lead a safety huddle?"
    assert standalone_query(question, history) == question
    assert standalone_query("Hello there", []) == "Hello there"


def test_a_follow_up_carries_at_most_the_message_cap_and_never_a_refused_turn():
    refused = {"role": "user", "content": "x" * 100_000}
    assert standalone_query("and her?", [refused], max_chars=500) == "and her?"
    long_turns = [{"role": "user", "content": "My deputy wants to run the audit. " * 8}] * 2
    query = standalone_query("and her?", long_turns, max_chars=500)
    assert len(query) <= 500 and query.endswith("the audit. and her?")
