"""The page and the widget in a real browser: Debian chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from .conftest import ROOT, host_page
from .support.fakes import FAKE_ENV

pytestmark = pytest.mark.slow

SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM:
        pytest.fail("Debian chromium is missing: `make install` installs it with apt.")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def _wait_for_text(locator, text: str, timeout: float = 240) -> list[int]:
    """Poll until `text` appears; return the lengths seen on the way (to prove streaming)."""
    lengths: list[int] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        content = locator.inner_text() if locator.count() else ""
        if not lengths or lengths[-1] != len(content):
            lengths.append(len(content))
        if text in content:
            return lengths
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared; last text: {content[-500:]!r}")


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desktop"), (390, 844, "phone")])
def test_the_page_shows_a_composed_answer_a_person_can_read_without_scrolling_the_box(
    browser, real_app, width, height, name
):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{real_app.url}/", wait_until="networkidle")
    assert "llama.cpp" in page.locator("#backends").inner_text()
    page.locator("#message textarea").fill(
        "My experienced designer Lena wants to run the client workshop on her own next week. "
        "Should I step in?"
    )
    page.locator("#message textarea").press("Enter")
    _wait_for_text(page.locator("#chat"), "Sources")
    # The rewording may land meanwhile and redraw the chat: read the answer once it is whole.
    text = _wait_for_answer(page, 1, "Sources")
    bot = page.locator("#chat .bot").last
    for part in ("Verdict:", "What to do now", "What to say", "Watch for", "Sources"):
        assert part in text, part
    assert "Lena" in text or "workshop" in text, "the answer names the situation"
    assert not re.search(r"\b[0-9a-f]{16,}\b", text), "no chunk ids on the page"
    # The source's passage opens on demand.
    details = bot.locator("details").first
    assert not details.evaluate("d => d.open")
    details.locator("summary").click()
    assert details.evaluate("d => d.open")
    # The verdict, the why and the moves fit in the chat box: the box is tall enough that a
    # reader sees the start of the answer and its first move without scrolling inside it.
    chat_box = page.locator("#chat").bounding_box()
    assert chat_box and chat_box["height"] >= 0.55 * height
    page.screenshot(path=str(SHOTS / f"main-page-{name}.png"), full_page=False)
    page.close()


def _wait_for_answer(page, number: int, text: str, timeout: float = 240) -> str:
    """Poll until the chat holds `number` answers and the last one shows `text`."""
    answers = page.locator("#chat .bot")
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        if answers.count() >= number:
            last = answers.nth(number - 1).inner_text()
            if text in last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"answer {number} never showed {text!r}; last: {last[-500:]!r}")


def test_a_three_turn_conversation_on_the_page_says_what_changed_the_verdict(browser, real_app):
    """Each message is sent as soon as the composed answer shows, while the chat model may
    still be rewording it: the page takes it, and the verdict follows the facts."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{real_app.url}/", wait_until="networkidle")
    box = page.locator("#message textarea")
    box.fill("My deputy Ana wants to run the supplier negotiation.")
    box.press("Enter")
    first = _wait_for_answer(page, 1, "Verdict:")
    assert "My lean for now" in first, "nothing is known of her experience or the stakes"
    assert "how experienced" in first.lower(), "the coach asks what the verdict hinges on"
    box.fill("She is brand new and has no experience, and signing the contract is irreversible.")
    box.press("Enter")
    second = _wait_for_answer(page, 2, "What changed")
    assert "Now that I know she is brand new and has no experience, I'd step in" in second
    box.fill("Actually, she is a veteran who has done this many times.")
    box.press("Enter")
    third = _wait_for_answer(page, 3, "What changed")
    changed = next(line for line in third.splitlines() if line.startswith("What changed"))
    assert "Now that I know she is a veteran who has done this many times" in changed
    assert "I'd step back" in changed
    assert "Verdict: step back" in third
    assert page.locator("#chat .user").count() == 3, "no message was dropped"
    page.screenshot(path=str(SHOTS / "three-turn-conversation.png"), full_page=False)
    page.close()


def test_the_widget_opens_and_answers_on_an_allowed_host_page(browser, real_app, host_site):
    (host_site.folder / "embed.html").write_text(host_page(real_app.url))
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{host_site.origin}/embed.html", wait_until="networkidle")
    button = page.locator("#lc-widget-button")
    assert button.get_attribute("aria-expanded") == "false"
    button.focus()
    page.keyboard.press("Enter")  # keyboard accessible
    assert button.get_attribute("aria-expanded") == "true"
    frame = page.frame_locator("#lc-widget-frame")
    box = frame.locator("#widget-message textarea")
    box.wait_for(timeout=60_000)
    assert "client escalation" in box.input_value(), "data-prompt pre-fills the question"
    box.press("Enter")
    _wait_for_text(frame.locator("#widget-chat"), "Sources")
    widget_text = frame.locator("#widget-chat").inner_text()
    assert "Verdict:" in widget_text and "What to do now" in widget_text
    page.screenshot(path=str(SHOTS / "widget-on-host-page.png"))
    page.get_by_role("button", name="Close Leadership coach").focus()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.id") == "lc-widget-button", "focus returns"
    page.close()


def test_a_host_page_from_an_origin_not_allowed_cannot_show_the_widget_or_call_the_api(
    browser, real_app, tmp_path
):
    from .support.servers import StaticSite

    (tmp_path / "embed.html").write_text(host_page(real_app.url))
    stranger = StaticSite(tmp_path, host="localhost")  # localhost:N is another origin
    try:
        page = browser.new_page()
        page.goto(f"{stranger.origin}/embed.html", wait_until="networkidle")
        page.locator("#lc-widget-button").click()
        time.sleep(3)
        frame = page.frame(url=lambda url: "/widget" in url or url.startswith("chrome-error"))
        rendered = False
        if frame is not None:
            try:
                rendered = frame.locator("#widget-chat").count() > 0
            except Exception:  # noqa: BLE001 - a blocked frame may refuse access entirely
                rendered = False
        assert not rendered, "the widget must not render inside a page of another origin"
        outcome = page.evaluate(
            """async (url) => {
                try {
                    const r = await fetch(url, {method: 'POST',
                        headers: {'content-type': 'application/json'},
                        body: JSON.stringify({scenario: 'My lead wants to run the meeting.'})});
                    return 'status ' + r.status;
                } catch (e) { return 'blocked'; }
            }""",
            f"{real_app.url}/api/advise",
        )
        assert outcome == "blocked"
        page.screenshot(path=str(SHOTS / "widget-refused-on-other-origin.png"))
        page.close()
    finally:
        stranger.stop()
    request = urllib.request.Request(
        f"{real_app.url}/api/advise",
        data=b'{"scenario": "x"}',
        method="POST",
        headers={"content-type": "application/json", "origin": stranger.origin},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403


def _payloads(logger: str) -> str:
    return (
        "Step in now and protect the team. "
        "<script>window.__pwned = 'script'</script> "
        f'<img src="{logger}/img.png" onerror="window.__pwned = \'img\'"> '
        "<b onmouseover=\"window.__pwned = 'handler'\">hover</b> "
        "[click me](javascript:window.__pwned='link') "
        f"![pixel]({logger}/pixel.png) "
        f"<a href=\"javascript:window.__pwned='anchor'\">anchor</a> "
        f'<iframe src="{logger}/frame"></iframe>'
    )


def test_script_handlers_js_links_and_remote_images_from_answers_and_documents_never_run(
    browser, tmp_path
):
    from .support.openai_faults import FaultServer
    from .support.servers import AppServer, RequestLog

    logger = RequestLog()
    library = tmp_path / "library"
    library.mkdir()
    (library / "poisoned.md").write_text(
        "# Team safety and harassment notes\n\n"
        "When a supervisor is harassing someone on the team, step in at once. "
        + _payloads(logger.origin)
        + " Protect the person first and document what happened.\n"
    )
    canary_key = "sk-canary-3f9a1c77b2"
    fake_llm = FaultServer(mode="ok", reply=_payloads(logger.origin)).start()
    app = AppServer(
        tmp_path / "data",
        env={
            "ASSISTANT_KNOWLEDGE_DIR": str(library),
            "ASSISTANT_CHAT_BACKEND": "openai",
            "OPENAI_BASE_URL": fake_llm.base_url,
            "OPENAI_API_KEY": canary_key,
            "ASSISTANT_CHAT_MODEL": "fake-model",
            "ASSISTANT_EMBED_BACKEND": "fake",
            "ASSISTANT_VERDICT_BACKEND": "signals",
        },
    ).start()
    try:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{app.url}/", wait_until="networkidle")
        page.locator("#message textarea").fill(
            "A supervisor on my team is harassing a new hire in meetings. Should I step in?"
        )
        page.locator("#message textarea").press("Enter")
        _wait_for_text(page.locator("#chat"), "Sources", timeout=60)
        chat = page.locator("#chat")
        chat.hover()
        page.locator("#chat .bot").last.hover()
        time.sleep(1)
        text = chat.inner_text()
        assert "What to do now" in text, "the composed answer is shown"
        assert "hover" not in text.split("Sources")[0], "the model's payload is withheld"
        assert page.evaluate("window.__pwned === undefined"), page.evaluate("window.__pwned")
        assert dialogs == []
        assert page.locator("#chat a[href^='javascript']").count() == 0
        assert page.locator("#chat img").count() == 0
        assert page.locator("#chat iframe, #chat script").count() == 0
        page.screenshot(path=str(SHOTS / "payloads-shown-as-text.png"), full_page=True)
        assert canary_key not in page.content()
        page.close()
        assert logger.paths == [], f"the page contacted the payload host: {logger.paths}"
        assert any(r["path"].endswith("/chat/completions") for r in fake_llm.requests)
        assert canary_key not in app.log()
    finally:
        app.stop()
        fake_llm.stop()
        logger.stop()


def test_the_page_widget_and_api_work_behind_a_reverse_proxy_under_a_sub_path(
    browser, host_site, tmp_path
):
    from gradio_client import Client

    from .support.servers import AppServer, ReverseProxy

    app = AppServer(
        tmp_path / "data",
        env={
            "ASSISTANT_ROOT_PATH": "/coach",
            "ASSISTANT_EMBED_ORIGINS": host_site.origin,
            **FAKE_ENV,
        },
    ).start()
    proxy = ReverseProxy(tmp_path / "nginx", app.port, "/coach")
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        outside: list[str] = []
        proxied = f"127.0.0.1:{proxy.port}"
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if proxied in r.url and f"{proxied}/coach/" not in r.url
                else None
            ),
        )
        page.goto(f"{proxy.url}/", wait_until="networkidle")
        page.locator("#message textarea").fill(
            "My experienced designer wants to run the client workshop alone. Should I step in?"
        )
        page.locator("#message textarea").press("Enter")
        _wait_for_text(page.locator("#chat"), "Sources", timeout=60)
        assert "Verdict:" in page.locator("#chat").inner_text()
        page.screenshot(path=str(SHOTS / "behind-reverse-proxy.png"), full_page=True)
        page.close()
        assert outside == [], f"requests escaped the sub-path: {outside}"

        client = Client(f"{proxy.url}/", verbose=False)
        assert "/respond" in str(client.view_api(print_info=False, return_format="dict"))

        (host_site.folder / "proxied.html").write_text(host_page(proxy.url))
        host = browser.new_page(viewport={"width": 1100, "height": 900})
        host.goto(f"{host_site.origin}/proxied.html", wait_until="networkidle")
        host.locator("#lc-widget-button").click()
        frame_src = host.locator("#lc-widget-frame").get_attribute("src") or ""
        assert frame_src.startswith(f"{proxy.url}/widget/"), frame_src
        box = host.frame_locator("#lc-widget-frame").locator("#widget-message textarea")
        box.wait_for(timeout=60_000)
        box.press("Enter")
        _wait_for_text(host.frame_locator("#lc-widget-frame").locator("#widget-chat"), "Sources")
        host.close()

        with urllib.request.urlopen(f"{proxy.url}/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        proxy.stop()
        app.stop()
