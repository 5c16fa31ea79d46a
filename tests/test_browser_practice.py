"""Issue 16's practice flows in Chromium on the real app: the session rules and the feedback panel.

Shares tests/test_browser.py's browser, selectors and way of starting the app; writes the feedback
panel's picture for the README, practice-feedback.png (into docs/img under `make pictures`).
"""

from __future__ import annotations

import re

from devtools.loadtest import answer_for, question_in
from tests.test_browser import (
    PICTURES,
    UI,
    VERDICT_MARK,
    app_url,
    browser,
    expect,
    graded_replies,
    last_bot_message,
    page,
    start_session,
)

__all__ = ["app_url", "browser", "page"]  # fixtures, imported for pytest


def submit(page, text: str) -> None:
    page.get_by_label(UI.answer, exact=True).fill(text)
    page.get_by_role("button", name=UI.submit, exact=True).click()


def test_after_end_the_session_is_read_only_and_next_starts_a_new_one(page, corpus) -> None:
    start_session(page, "Embedding-model engineer", "mid")
    submit(page, answer_for(corpus, question_in(corpus, last_bot_message(page)), 1))
    expect(graded_replies(page)).to_have_count(1)
    page.get_by_role("button", name=UI.end, exact=True).click()
    expect(page.get_by_text("Session summary")).to_be_visible()
    expect(page.get_by_role("button", name=UI.submit, exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Retry this question", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name=UI.next_question, exact=True)).to_have_count(0)  # it offers a new session

    page.get_by_role("button", name="Start a new session", exact=True).click()
    expect(page.get_by_text("A new session has started", exact=False)).to_be_visible()
    expect(page.locator(UI.bot_message).filter(has_text="Question 1")).to_have_count(1)  # a fresh chat
    expect(graded_replies(page)).to_have_count(0)
    expect(page.get_by_role("button", name=UI.submit, exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name=UI.next_question, exact=True)).to_be_visible()


def test_a_typed_draft_survives_start_and_a_reload(page, corpus) -> None:
    start_session(page, "Embedding-model engineer", "mid")
    box = page.get_by_label(UI.answer, exact=True)
    box.fill("A draft I have not submitted yet: negative sampling")
    expect(page.locator("#draft-note")).to_contain_text("Draft saved")  # typing saved it, debounced

    page.get_by_role("button", name=UI.start, exact=True).click()  # mid-session: asks first
    expect(page.get_by_text("Start a new one?", exact=False)).to_be_visible()
    page.get_by_role("button", name="Cancel", exact=True).click()
    expect(page.get_by_role("button", name=UI.start, exact=True)).to_be_visible()
    expect(box).to_have_value("A draft I have not submitted yet: negative sampling")

    page.reload()
    expect(page.get_by_text("Welcome back", exact=False)).to_be_visible()
    expect(page.get_by_label(UI.answer, exact=True)).to_have_value("A draft I have not submitted yet: negative sampling")


def test_feedback_shows_the_evidence_and_stays_while_a_follow_up_is_answered(page, corpus) -> None:
    start_session(page, "Embedding-model engineer", "mid")
    question = question_in(corpus, last_bot_message(page))
    said = re.split(r"(?<=[.!?])\s+", corpus.rubrics[question.id].model_answer)
    submit(page, " ".join(said[: max(1, len(said) // 2)]))  # half the model answer: some points covered, some missed
    expect(graded_replies(page)).to_have_count(1)
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text(re.compile(r"points? \d+ [✓◐⊘]"))
    expect(page.locator("#model-answer")).to_have_text("")  # not before it is asked for
    PICTURES.mkdir(parents=True, exist_ok=True)
    shot = PICTURES / "practice-feedback.png"
    page.locator(UI.feedback_panel).screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000

    score = page.locator(UI.feedback_panel).inner_text()
    follow_ups = page.locator(UI.follow_up_group, has_text=UI.follow_ups)
    follow_ups.get_by_role("radio").first.check()
    page.get_by_role("button", name=UI.answer_follow_up, exact=True).click()
    page.locator(UI.bot_message).filter(has_text="Follow-up 1a:").wait_for()
    expect(page.locator(UI.per_point)).to_contain_text(VERDICT_MARK)
    assert re.search(r"\d+\.\d / 10", score) and re.search(r"\d+\.\d / 10", page.locator(UI.feedback_panel).inner_text())

    page.get_by_role("button", name=re.compile("Show model answer")).click()
    expect(page.locator("#model-answer")).to_contain_text(corpus.rubrics[question.id].model_answer[:40])
