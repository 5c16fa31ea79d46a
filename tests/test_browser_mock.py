"""Interview mode in a real browser: five questions on a 12-second answer timer, then the report card.

The browser, the app and the page come from tests/test_browser.py (Debian's Chromium through
Playwright; skipped with a reason without them, except in CI). The report card's screenshot,
report-card.png, is the picture the README shows (written into docs/img under `make pictures`).
"""

from __future__ import annotations

import re

from devtools.loadtest import answer_for, question_in
from tests import test_browser as shared

browser, app_url, page = shared.browser, shared.app_url, shared.page  # the fixtures of the practice tests

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) and says why
    expect = None  # type: ignore[assignment]

ANSWER_SECONDS = 12  # short enough to run out twice in a test, long enough to type and submit on a busy machine
SHOT = shared.PICTURES / "report-card.png"


class MockUI:
    """The Interview tab's selectors: visible labels and elem_ids."""

    tab = "Interview"
    name = "Name"
    role = "Interview role"
    level = "Interview level"
    questions = "Questions"
    think = "Think time per question (seconds, 0 = none)"
    limit = "Answer time per question (seconds, 0 = no timer)"
    answer = "Your answer to this question"
    start = "Start interview"
    submit = "Submit and continue"
    question = "#mock-question"
    clock = "#mock-clock"
    status = "#mock-status"
    report = "#report-card"


def pick(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def current_question(page, corpus, number: int):
    box = page.locator(MockUI.question)
    expect(box).to_contain_text(f"Question {number} of 5")
    question = question_in(corpus, box.inner_text())
    assert question is not None, box.inner_text()
    return question


def test_a_mock_interview_with_a_timer_ends_in_a_report_card(page, corpus) -> None:
    page.get_by_role("tab", name=MockUI.tab, exact=True).click()
    page.get_by_label(MockUI.name, exact=True).fill("Browser Ana")
    pick(page, MockUI.role, "Embedding-model engineer")  # this role has no multiple-choice questions
    pick(page, MockUI.level, "junior")
    page.get_by_label(MockUI.limit, exact=True).fill(str(ANSWER_SECONDS))
    page.get_by_role("button", name=MockUI.start, exact=True).click()
    answer = page.get_by_label(MockUI.answer, exact=True)
    report = page.locator(MockUI.report)

    for number in (1, 2):  # typed and submitted in time
        question = current_question(page, corpus, number)
        expect(page.locator(MockUI.clock)).to_contain_text("left to answer")
        answer.fill(answer_for(corpus, question, 0))
        page.get_by_role("button", name=MockUI.submit, exact=True).click()
        expect(page.locator(MockUI.status)).to_contain_text(f"Answer saved. Question {number + 1} of 5")
        assert not re.search(r"/ 10|covered|missing", page.locator(MockUI.status).inner_text() + report.inner_text())

    question = current_question(page, corpus, 3)  # typed, never submitted: the timer submits it
    clock = page.locator(MockUI.clock)
    expect(clock).to_contain_text("left to answer")
    first = clock.inner_text()
    answer.fill(answer_for(corpus, question, 1))
    shared.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(shared.ARTIFACTS / "mock-interview.png"))  # the tab mid-interview, for a look
    expect(clock).not_to_have_text(first, timeout=5_000)  # a visible countdown
    expect(page.locator(MockUI.status)).to_contain_text("submitted as it stood", timeout=(ANSWER_SECONDS + 20) * 1000)

    current_question(page, corpus, 4)  # nothing typed: it scores 0 when time runs out
    expect(page.locator(MockUI.status)).to_contain_text("no answer was given", timeout=(ANSWER_SECONDS + 20) * 1000)

    question = current_question(page, corpus, 5)
    assert report.inner_text().strip() == ""  # still no feedback
    answer.fill(answer_for(corpus, question, 0))
    page.get_by_role("button", name=MockUI.submit, exact=True).click()

    expect(report).to_contain_text("Report card")
    expect(report).to_contain_text("5 of 5 questions answered")
    expect(report).to_contain_text("time ran out before an answer")
    for section in ("Overall", "Strengths", "Gaps", "What you got wrong", "What to practise next"):
        expect(report).to_contain_text(section)
    assert re.search(r"Overall: \d+\.\d / 10", report.inner_text())
    expect(page.get_by_role("button", name="Download the report card (Markdown)")).to_be_visible()
    expect(page.get_by_role("button", name="Download the report card (PDF)")).to_be_visible()
    expect(page.get_by_role("button", name=MockUI.submit, exact=True)).to_be_disabled()

    SHOT.parent.mkdir(parents=True, exist_ok=True)
    report.screenshot(path=str(SHOT))
    assert SHOT.stat().st_size > 20_000  # a rendered card, not an empty box
