"""A real browser against `python app.py --backend none`: ask, see the sources and the cited answer; and against
an app started with a file of users (KBCHAT_AUTH_FILE): nothing answers before the login.

Needs the `playwright` Python package and a system Chromium at /usr/bin/chromium (no browser download);
skipped with the reason otherwise. Screenshots go to artifacts/ (gitignored); with KBCHAT_SCREENSHOTS set to a
folder, the three tabs are also saved there as chat.png, interview.png and lookup.png (the README's images:
`KBCHAT_SCREENSHOTS=docs/images python -m pytest tests/test_browser.py`; Chinese text needs a CJK font such as
Debian's fonts-noto-cjk). Unset, as in CI, no tracked file changes.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KBCHAT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SCREENSHOTS = os.environ.get("KBCHAT_SCREENSHOTS", "")  # a folder for the documentation's images, or empty

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

TIMEOUT_MS = 120_000


def screenshot(page, artifact: str, doc_image: str = "", **options) -> None:
    """Saves artifacts/<artifact>; also <KBCHAT_SCREENSHOTS>/<doc_image> when that variable names a folder."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / artifact), **options)
    if doc_image and SCREENSHOTS:
        folder = Path(SCREENSHOTS).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / doc_image), **options)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url, wait_until="domcontentloaded")
    page.wait_for_selector("#chat-input textarea")
    yield page
    context.close()


def test_ask_see_sources_and_citations(page):
    page.fill("#chat-input textarea", "如何在PyTorch中实现梯度累积？")
    page.press("#chat-input textarea", "Enter")

    page.wait_for_selector('#sources [id="src-Q73"]', state="attached")  # the sources panel
    link = page.wait_for_selector('#chatbot a[href="#src-Q73"]')  # a citation in the answer
    assert link.inner_text().strip() == "[Q73]"
    assert "梯度累积" in page.inner_text("#sources")
    assert "extractive mode" in page.inner_text("#status")
    page.wait_for_timeout(500)  # let the last streamed chunk render
    screenshot(page, "browser_chat.png", "chat.png")

    # a citation jumps to its entry in the sources panel, in this tab
    last = page.eval_on_selector_all('#chatbot a[href^="#src-"]', "els => els.map(e => e.getAttribute('href'))")[-1]
    page.click(f'#chatbot a[href="{last}"]')
    page.wait_for_timeout(500)
    assert page.url.endswith(last)
    box = page.eval_on_selector(f'#sources [id="{last[1:]}"]', "e => e.getBoundingClientRect().top")
    assert 0 <= box <= page.viewport_size["height"]


def test_html_in_the_question_is_not_executed(page):
    page.fill("#chat-input textarea", '<img src=x onerror="window.__xss=1"> 梯度累积 <script>window.__xss=2</script>')
    page.press("#chat-input textarea", "Enter")
    page.wait_for_selector('#chatbot a[href^="#src-"]')
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert "<img src=x" in page.inner_text("#chatbot")  # shown as text instead


def test_lookup_tab_opens_a_question(page):
    page.get_by_role("tab", name="🔎 查题 / Lookup").click()
    page.fill("#lookup-input textarea", "Q73")
    page.press("#lookup-input textarea", "Enter")
    page.wait_for_selector("#lookup-result h2")
    assert "Q73" in page.inner_text("#lookup-result h2")
    screenshot(page, "browser_lookup.png", "lookup.png")


def answer_one_interview_question(page, answer: str) -> None:
    """Starts a mock interview, answers its first question and waits for the grade."""
    page.get_by_role("tab", name="🎯 模拟面试 / Mock interview").click()
    page.click("#iv-start")
    page.wait_for_selector("#iv-question h3")
    page.fill("#iv-answer textarea", answer)
    page.click("#iv-submit")
    page.wait_for_selector("#iv-feedback details")


def test_interview_tab_runs_a_question(page):
    answer_one_interview_question(page, "使用 optimizer.zero_grad()、loss.backward() 和 optimizer.step() 训练模型。")
    assert "/10" in page.inner_text("#iv-feedback")
    screenshot(page, "browser_interview.png", "interview.png", full_page=True)



# ----------------------------------------------------------------------------- a shared deployment with a login
USER, PASSWORD = "tester", "correct-horse-battery"


@pytest.fixture(scope="module")
def auth_app_url(tmp_path_factory):
    """The app as a shared deployment would run it: users from a file named by KBCHAT_AUTH_FILE."""
    from tests.fixtures_app import running_app

    users = tmp_path_factory.mktemp("auth") / "users.txt"
    users.write_text(f"# shared deployment\n{USER}:{PASSWORD}\nother:another-password\n", encoding="utf-8")
    with contextlib.ExitStack() as stack:
        os.environ["KBCHAT_AUTH_FILE"] = str(users)  # only while this app starts: the other app has no login
        try:
            url = stack.enter_context(running_app("--backend", "none"))
        finally:
            os.environ.pop("KBCHAT_AUTH_FILE", None)
        yield url


def test_without_a_login_neither_the_page_nor_the_api_answers(auth_app_url):
    import urllib.error
    import urllib.request

    for path in ("config", "gradio_api/info"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(auth_app_url + path, timeout=30)
        assert refused.value.code in (401, 403)


def test_login_in_the_browser(browser, auth_app_url):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(auth_app_url, wait_until="domcontentloaded")
        password = page.wait_for_selector("input[type=password]")
        assert page.query_selector("#chat-input") is None  # nothing of the app before logging in
        screenshot(page, "browser_login.png")

        page.locator("input:not([type=password])").first.fill(USER)
        password.fill("wrong password")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=/incorrect/i")
        assert page.query_selector("#chat-input") is None

        page.locator("input:not([type=password])").first.fill(USER)
        page.fill("input[type=password]", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("#chat-input textarea")  # logged in: the app itself
        page.get_by_role("tab", name="🔎 查题 / Lookup").click()
        page.fill("#lookup-input textarea", "Q73")
        page.press("#lookup-input textarea", "Enter")
        page.wait_for_selector("#lookup-result h2")
        assert "Q73" in page.inner_text("#lookup-result h2")
    finally:
        context.close()


def logged_in(browser, url: str, user: str, password: str):
    """A new browser context logged in as `user`, on the app's page."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]")
    page.locator("input:not([type=password])").first.fill(user)
    page.fill("input[type=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-input textarea")
    return context, page


def test_each_login_user_sees_only_their_own_progress(browser, auth_app_url):
    context, page = logged_in(browser, auth_app_url, USER, PASSWORD)
    try:
        answer_one_interview_question(page, "把多个小批量的梯度累加，每 N 步更新一次参数。")
        assert "review rating" in page.inner_text("#iv-feedback")
        page.click("#iv-rate-good")
        page.wait_for_selector("#iv-feedback >> text=/rated/")
        page.get_by_role("tab", name="📈 进度 / Progress").click()
        page.wait_for_selector(f"#pr-overview >> text=/Progress · {USER}/")
        assert "1 次作答" in page.inner_text("#pr-overview")
        screenshot(page, "browser_progress.png", "progress.png", full_page=True)
    finally:
        context.close()
    context, page = logged_in(browser, auth_app_url, "other", "another-password")
    try:
        page.get_by_role("tab", name="📈 进度 / Progress").click()
        page.wait_for_selector("#pr-overview >> text=/Progress · other/")
        assert "0 次作答" in page.inner_text("#pr-overview")
    finally:
        context.close()
