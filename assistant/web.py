"""The Gradio page, built from a Coach; no retrieval or prompt logic lives here."""

from __future__ import annotations

import functools
import html
import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.coach import Coach, Groundwork, Reply
from assistant.content import VERDICT_ICONS, VERDICT_PHRASES
from assistant.domain import Citation
from assistant.errors import AssistantError, InputTooLargeError
from assistant.prep import MeetingRequest, prepare, to_markdown
from assistant.retrieval import Passage

__all__ = [
    "EXAMPLES",
    "BriefFolder",
    "build_demo",
    "build_widget",
    "chat_handler",
    "format_reply",
    "page_handlers",
    "prep_handler",
]

log = logging.getLogger(__name__)

EXAMPLES = [
    "My most experienced engineer wants to lead the database migration on her own. "
    "Should I step back?",
    "A new team lead is about to present a risky budget cut to the board tomorrow and "
    "seems nervous. What should I do?",
    "A customer's personal data is being emailed to the wrong mailing list right now and "
    "the owner is on holiday.",
    "How do I hand control back after stepping in during an incident?",
]

# Gradio keeps a copy of every file it serves (the meeting briefs); every 10 minutes it
# deletes those older than an hour, so its cache cannot fill the disk the store lives on.
DELETE_CACHE = (600, 3600)
BRIEF_MAX_AGE = 600.0


def _safe(text: str) -> str:
    """Escape markup so model or document text can only ever render as text.

    HTML is escaped, and so are the brackets of Markdown links and images: a model answer or
    a document cannot produce a `javascript:` link or load a remote image. Bare http(s)
    addresses may still become links.
    """
    escaped = html.escape(text, quote=False)
    return escaped.replace("[", "&#91;").replace("]", "&#93;")


def verdict_card(reply: Reply) -> str:
    """One line above the answer: the verdict and how sure the coach is."""
    a = reply.assessment
    if a is None:
        return ""
    return (
        f"> **{VERDICT_ICONS[a.verdict]} Verdict: {VERDICT_PHRASES[a.verdict]}** · "
        f"confidence {a.confidence:.0%}\n\n"
    )


_PLAYBOOK_LINE = re.compile(r"^\*(Applies when|Examples|Same advice as|Needs):\*.*$", re.M)
_FIELD_LABEL = re.compile(r"\*(When|Do|Say|Watch for):\*")


def _readable(text: str) -> str:
    """A passage as prose: no playbook labels or examples, slots said plainly."""
    text = _PLAYBOOK_LINE.sub("", text)
    text = _FIELD_LABEL.sub(lambda m: m.group(1) + ":", text)
    text = text.replace("{owner}", "the owner").replace("{task}", "the work")
    return re.sub(r"^#+\s*", "", text, flags=re.M).replace("**", "")


def _context(passage: Passage | None, quote: str, width: int = 700) -> str:
    """The passage around a quote, for readers who want to see it in place."""
    if passage is None:
        return ""
    text = " ".join(_readable(passage.text).split())
    at = max(text.find(" ".join(quote.split())), 0)
    start = max(at - width // 2, 0)
    excerpt = text[start : start + width]
    return ("… " if start else "") + excerpt + (" …" if start + width < len(text) else "")


def sources_block(citations: list[Citation], passages: Sequence[Passage] = ()) -> str:
    """The sources under an answer: title and verbatim quote, the passage on demand.

    Chunk ids stay in the API; a person sees titles and words.
    """
    if not citations:
        return ""
    by_id = {p.chunk_id: p for p in passages}
    lines = ["\n\n**Sources**"]
    for n, c in enumerate(citations, start=1):
        lines.append(f"{n}. *{_safe(c.title)}*: “{_safe(c.quote)}”")
        context = _context(by_id.get(c.chunk_id), c.quote)
        if context:
            lines.append(f"   <details><summary>in context</summary>{_safe(context)}</details>")
    return "\n".join(lines)


def format_reply(reply: Reply) -> str:
    """The whole assistant message: verdict line, the composed answer, sources below.

    The composed answer is escaped like any other text: Markdown emphasis and lists
    survive, markup and links do not.
    """
    body = _safe(reply.text) if reply.text or reply.done else "…"
    return verdict_card(reply) + body + sources_block(reply.citations, reply.passages)


def _opened(
    coach: Coach, message: str, history: list[dict[str, Any]] | None
) -> tuple[list[dict[str, Any]], list[dict[str, str]], bool]:
    """The chat with the message and a placeholder answer added, the earlier turns as plain
    text, and whether the message was accepted. A refused message never enters the
    conversation (it would come back as context with the next one); it stays in the box to
    be shortened, with the reason in the chat."""
    history = list(history or [])
    prior = [dict(role=m["role"], content=_plain(m.get("content"))) for m in history]
    try:
        coach.check_input(message)
    except InputTooLargeError as exc:
        history.append({"role": "assistant", "content": f"⚠️ {_safe(exc.user_message())}"})
        return history, prior, False
    except AssistantError:
        pass  # an empty message: the coach says so when it answers
    history.append({"role": "user", "content": message})
    history.append({"role": "assistant", "content": "…"})
    return history, prior, True


def chat_handler(coach: Coach) -> Callable[..., Iterator[tuple[list[dict[str, Any]], str]]]:
    """The streaming chat function Gradio calls; errors become messages in the chat."""

    def respond(
        message: str, history: list[dict[str, Any]] | None
    ) -> Iterator[tuple[list[dict[str, Any]], str]]:
        history, prior, accepted = _opened(coach, message, history)
        if not accepted:
            yield history, message
            return
        yield history, ""
        try:
            for reply in coach.stream_chat(message, prior):
                history[-1] = {"role": "assistant", "content": format_reply(reply)}
                yield history, ""
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {_safe(exc.user_message())}"}
            yield history, ""
        except Exception:  # noqa: BLE001 - the page shows a message, never a traceback.
            log.exception("chat failed")
            history[-1] = {
                "role": "assistant",
                "content": "⚠️ Something went wrong while answering. Please try again.",
            }
            yield history, ""

    return respond


Chat = list[dict[str, Any]]


class _Pending:
    """Planned answers waiting for their rewording, by an unguessable token. Kept here, not
    in a gr.State: a page with state holds a heartbeat connection open all the time."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._work: OrderedDict[str, Groundwork] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, work: Groundwork) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._work[token] = work
            while len(self._work) > self.size:
                self._work.popitem(last=False)
        return token

    def take(self, token: str) -> Groundwork | None:
        with self._lock:
            return self._work.pop(token, None)


def page_handlers(
    coach: Coach,
) -> tuple[Callable[..., Iterator[tuple[Chat, str, str]]], Callable[..., Iterator[Chat]]]:
    """The page's two chat events: the composed answer, shown as soon as it exists, then its
    rewording by the chat model in a follow-up event that the next message cancels, so a
    person never waits for the rewording to say more. They pass a token, not the work."""
    pending = _Pending()

    def compose(message: str, history: Chat | None) -> Iterator[tuple[Chat, str, str]]:
        history, prior, accepted = _opened(coach, message, history)
        if not accepted:
            yield history, message, ""
            return
        yield history, "", ""
        try:
            work = coach.plan(message, prior)
            first = next(iter(coach.stream(work)))
            history[-1] = {"role": "assistant", "content": format_reply(first)}
            yield history, "", "" if first.done else pending.put(work)
        except AssistantError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {_safe(exc.user_message())}"}
            yield history, "", ""
        except Exception:  # noqa: BLE001 - the page shows a message, never a traceback.
            log.exception("chat failed")
            history[-1] = {"role": "assistant", "content": _FAILED}
            yield history, "", ""

    def reword(history: Chat | None, token: str | None) -> Iterator[Chat]:
        work = pending.take(token) if token else None
        if work is None or not history:
            yield gr.skip()
            return
        history = list(history)
        try:
            for reply in coach.stream(work):
                text = format_reply(reply)
                if text == _plain(history[-1].get("content")):
                    # Unchanged: sending the chat again would redraw every message. The
                    # empty update still gives the next message a point to cancel at.
                    yield gr.skip()
                    continue
                history[-1] = {"role": "assistant", "content": text}
                yield history
        except Exception:  # noqa: BLE001 - the composed answer stays; the rewording is extra.
            log.exception("rewording failed")
            yield gr.skip()

    return compose, reword


_FAILED = "⚠️ Something went wrong while answering. Please try again."


class BriefFolder:
    """Where downloadable briefs are written: one folder per brief inside a private one.

    Gradio copies a returned file into its own cache before the next request can need it,
    so each write removes the briefs older than `max_age`; the rest go when the process ends.
    """

    def __init__(self, max_age: float = BRIEF_MAX_AGE) -> None:
        self.max_age = max_age
        self._root = tempfile.TemporaryDirectory(prefix="briefs-")
        self.path = Path(self._root.name)

    def write(self, text: str, name: str = "meeting-brief.md") -> Path:
        """Write one brief and return its path; older briefs are removed."""
        now = time.time()
        for old in self.path.iterdir():
            if now - old.stat().st_mtime >= self.max_age:
                shutil.rmtree(old, ignore_errors=True)
        folder = self.path / uuid.uuid4().hex
        folder.mkdir()
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path


@functools.cache
def _process_briefs() -> BriefFolder:
    """One brief folder for the process: it must outlive any handler that returns a path."""
    return BriefFolder()


def prep_handler(
    coach: Coach, briefs: BriefFolder | None = None
) -> Callable[..., tuple[str, str | None]]:
    """The meeting-prep function Gradio calls: a plan in Markdown and a downloadable brief."""
    folder = briefs or _process_briefs()

    def prepare_meeting(
        meeting: str, people: str, experience: str, stakes: str, worries: str
    ) -> tuple[str, str | None]:
        if not (meeting or "").strip():
            return "⚠️ Describe the meeting first.", None
        try:
            request = MeetingRequest(meeting, people, experience, stakes, worries)
            plan = prepare(coach, request)
        except AssistantError as exc:
            return f"⚠️ {_safe(exc.user_message())}", None
        except Exception:  # noqa: BLE001 - the page shows a message, never a traceback.
            log.exception("meeting prep failed")
            return "⚠️ Something went wrong while preparing. Please try again.", None
        brief = to_markdown(plan)
        return _safe(brief), str(folder.write(brief))

    return prepare_meeting


def build_demo(coach: Coach, title: str = "Leadership coach") -> gr.Blocks:
    """The chat page."""

    respond = chat_handler(coach)

    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(
            f"# {title}\nDescribe a situation with your team and get an explained verdict: "
            "**step back**, **step in**, or **let them lead but stay close**, with sources."
        )
        gr.Markdown(
            f"Backends: chat `{coach.backend['chat']}` · embeddings "
            f"`{coach.backend['embeddings']}`",
            elem_id="backends",
        )
        with gr.Tab("Chat"):
            # Not autoscrolled to the bottom: a composed answer is long, and a reader starts
            # at its verdict, not at its sources.
            chatbot = gr.Chatbot(label="Coach", elem_id="chat", height="78vh", autoscroll=False)
            with gr.Row():
                box = gr.Textbox(
                    placeholder="e.g. My new team lead wants to run the client escalation alone…",
                    label="Your situation or question",
                    elem_id="message",
                    scale=5,
                )
                send = gr.Button("Ask", variant="primary", elem_id="send", scale=1)
            gr.Examples(
                examples=EXAMPLES, inputs=box, label="Try an example", api_visibility="private"
            )
            clear = gr.Button("New conversation", variant="secondary")
        with gr.Tab("Prepare for a meeting"):
            meeting = gr.Textbox(label="What is the meeting?", elem_id="prep-meeting")
            people = gr.Textbox(label="Who is involved?", elem_id="prep-people")
            experience = gr.Textbox(label="How experienced are they?", elem_id="prep-experience")
            stakes = gr.Textbox(label="What is at stake?", elem_id="prep-stakes")
            worries = gr.Textbox(label="What worries you?", elem_id="prep-worries")
            go = gr.Button("Prepare", variant="primary", elem_id="prep-go")
            plan = gr.Markdown(elem_id="prep-plan")
            brief = gr.File(label="Download the brief (Markdown)", elem_id="prep-brief")
        _chat_events(coach, box, send, chatbot)
        # The API endpoint `/respond`: the whole answer in one event, from a control the page
        # never shows (the page itself uses the two events above).
        hidden = gr.Button(visible=False)
        hidden.click(respond, [box, chatbot], [chatbot, box], api_name="respond")
        clear.click(lambda: ([], ""), None, [chatbot, box], api_visibility="private")
        go.click(prep_handler(coach), [meeting, people, experience, stakes, worries], [plan, brief])
    return demo


def build_widget(coach: Coach, title: str = "Leadership coach") -> gr.Blocks:
    """The compact chat made for an iframe: chat, verdict card and sources; no tabs."""
    with gr.Blocks(
        title=title, analytics_enabled=False, fill_height=True, delete_cache=DELETE_CACHE
    ) as widget:
        chatbot = gr.Chatbot(label=title, elem_id="widget-chat", height=430, autoscroll=False)
        with gr.Row():
            box = gr.Textbox(
                placeholder="Describe the situation…",
                show_label=False,
                elem_id="widget-message",
                scale=5,
            )
            send = gr.Button("Ask", variant="primary", elem_id="widget-send", scale=1)
        _chat_events(coach, box, send, chatbot)
        # The whole answer in one event, as on the page; private here, as the widget's
        # routes have always been.
        hidden = gr.Button(visible=False)
        hidden.click(chat_handler(coach), [box, chatbot], [chatbot, box], api_visibility="private")
        # The starting prompt comes from the iframe's own URL (?prompt=...), set by embed.js.
        widget.load(
            None,
            None,
            box,
            js="() => (new URLSearchParams(window.location.search).get('prompt') || '')"
            ".slice(0, 500)",
        )
    return widget


def _chat_events(coach: Coach, box: gr.Textbox, send: gr.Button, chatbot: gr.Chatbot) -> None:
    """Enter and the button send a message: the composed answer in one event, its rewording
    in a follow-up that a new message cancels (a pending event would refuse the message)."""
    compose, reword = page_handlers(coach)
    work = gr.Textbox(visible=False)  # the token of the answer waiting for its rewording
    rewordings = []
    for trigger in (box.submit, send.click):
        event = trigger(compose, [box, chatbot], [chatbot, box, work], api_visibility="private")
        rewordings.append(event.then(reword, [chatbot, work], [chatbot], api_visibility="private"))
    for trigger in (box.submit, send.click):
        trigger(None, None, None, cancels=rewordings)


def _plain(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(c.get("text", "")) if isinstance(c, dict) else str(c) for c in content)
    return str(content or "")
