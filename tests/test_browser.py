"""A real browser: Debian's Chromium, driven by Playwright, through a practice session on app.py.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`make test` installs it
with apt-get when it can). Without Chromium or Playwright the tests skip and say which is
missing — except in CI (the CI variable set), where they must run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.grading import Verdict, verdict_label
from devtools.appserver import AppServer
from devtools.loadtest import answer_for, question_in

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the browser fixture says what is missing
    expect = sync_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
# The README's pictures: `make pictures` writes them into docs/img; any other run writes them beside the
# other test artifacts, so a test run (whose questions are drawn at random) does not rewrite the README's.
PICTURES = ROOT / "docs" / "img" if os.environ.get("BOT_README_PICTURES") == "1" else ARTIFACTS
AUDIO = Path(__file__).resolve().parent / "fixtures" / "audio"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; the Makefile installs it
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000
# a per-point mark as the feedback shows it: "✓ covered", "◐ partial", "✗ missing" or "⊘ incorrect"
VERDICT_MARK = re.compile("|".join(re.escape(verdict_label(v)) for v in Verdict))


class UI:
    """Every selector the browser tests use, in one place: visible labels and elem_ids, not layout."""

    name = "Your name"  # labels
    role = "Role"
    answer = "Your answer"
    follow_ups = "Follow-up questions"  # the text of the radio group's fieldset (it has no accessible name)
    start = "Start"  # button names
    submit = "Submit answer"
    answer_follow_up = "Answer the selected follow-up"
    end = "End session"
    next_question = "Next question"
    upload = "Upload file"  # aria-label of the Audio component's upload source button
    follow_up_group = "fieldset"
    bot_message = '[data-testid="bot"]'  # aria-label: "bot's message: <markdown>"
    feedback_panel = "#feedback-panel"
    per_point = "#per-point-feedback"


def _missing() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium, or run `make test`)"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI, but {missing}")
        pytest.skip(missing)
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, shared_cache: Path):
    with AppServer(tmp_path_factory.mktemp("browser-app"), cache_dir=shared_cache) as url:
        yield url


@pytest.fixture
def page(browser, app_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(app_url)
    yield page
    context.close()


def start_session(page, role_label: str, level: str) -> None:
    page.get_by_label(UI.name, exact=True).fill("Browser Ana")
    page.get_by_label(UI.role, exact=True).click()
    page.get_by_role("option", name=role_label, exact=True).click()
    page.get_by_label(level, exact=True).check()
    page.get_by_role("button", name=UI.start, exact=True).click()
    page.locator(UI.bot_message).filter(has_text="Question 1").wait_for()


def last_bot_message(page) -> str:
    label = page.locator(UI.bot_message).last.get_attribute("aria-label") or ""
    return label.removeprefix("bot's message: ")


def graded_replies(page):
    """The coach's replies that follow a grade ("7.5/10 — 3 of 5 points covered. …")."""
    return page.locator(UI.bot_message).filter(has_text=re.compile(r"of \d+ points? covered"))


def test_a_session_in_a_real_browser(page, corpus) -> None:
    start_session(page, "Embedding-model engineer", "junior")  # this role has no multiple-choice questions

    question = question_in(corpus, last_bot_message(page))
    assert question is not None, last_bot_message(page)
    page.get_by_label(UI.answer, exact=True).fill(answer_for(corpus, question, 1))  # half the model answer
    page.get_by_role("button", name=UI.submit, exact=True).click()
    expect(graded_replies(page)).to_have_count(1)
    marks = page.locator(UI.per_point)
    expect(marks).to_contain_text(VERDICT_MARK)
    assert re.search(r"\d+\.\d / 10", page.locator(UI.feedback_panel).inner_text())

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "feedback-panel.png"
    page.locator(UI.feedback_panel).screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000  # a rendered panel, not an empty box

    follow_ups = page.locator(UI.follow_up_group, has_text=UI.follow_ups)
    follow_ups.get_by_role("radio").first.check()
    page.get_by_role("button", name=UI.answer_follow_up, exact=True).click()
    page.locator(UI.bot_message).filter(has_text="Follow-up 1a:").wait_for()
    page.get_by_label(UI.answer, exact=True).fill(corpus.rubrics[question.id].model_answer)
    page.get_by_role("button", name=UI.submit, exact=True).click()
    expect(graded_replies(page)).to_have_count(2)
    expect(marks).to_contain_text(VERDICT_MARK)

    page.get_by_role("button", name=UI.end, exact=True).click()
    expect(page.get_by_text("Session summary")).to_be_visible()
    expect(page.get_by_text(re.compile(r"2 answers graded"))).to_be_visible()


def test_a_reloaded_page_carries_on_with_the_session(page, corpus) -> None:
    start_session(page, "Embedding-model engineer", "mid")
    question = question_in(corpus, last_bot_message(page))
    page.get_by_label(UI.answer, exact=True).fill(answer_for(corpus, question, 0))
    page.get_by_role("button", name=UI.submit, exact=True).click()
    expect(graded_replies(page)).to_have_count(1)
    page.get_by_role("button", name=UI.next_question, exact=True).click()
    page.locator(UI.bot_message).filter(has_text="Question 2").wait_for()
    second = question_in(corpus, last_bot_message(page))

    page.reload()  # a new page: the server holds nothing for it but the browser's identity
    expect(page.get_by_text("Welcome back", exact=False)).to_be_visible()
    expect(page.get_by_label(UI.role, exact=True)).to_have_value("Embedding-model engineer")  # not the default
    expect(graded_replies(page)).to_have_count(1)
    assert question_in(corpus, last_bot_message(page)) == second
    page.get_by_label(UI.answer, exact=True).fill(answer_for(corpus, second, 0))
    page.get_by_role("button", name=UI.submit, exact=True).click()
    expect(graded_replies(page)).to_have_count(2)


def test_an_uploaded_recording_fills_the_answer_box(page) -> None:
    start_session(page, "NLP / LLM engineer", "mid")
    page.get_by_role("button", name=UI.upload, exact=True).click()
    page.locator("input[type=file]").first.set_input_files(str(AUDIO / "transformer.wav"))
    expect(page.get_by_label(UI.answer, exact=True)).to_have_value(re.compile("transformer.*attention", re.I))
    expect(page.get_by_text("Transcribed", exact=False).first).to_be_visible()

