"""A whole practice session driven through the app's handlers, checked in SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from bot.services import build_interview
from bot.ui import handlers
from bot.ui.handlers import View
from tests.helpers import open_question


@pytest.fixture
def interview(settings, embedder):
    return build_interview(settings, embedder=embedder)


def answer_for(interview, view: View) -> str:
    turn = interview.store.turn(view.turn_id)
    question = interview.corpus.questions[turn["question_id"]]
    if question.options and turn["kind"] == "question":
        return "ABCD"[question.correct_option]
    return interview.corpus.rubrics[question.id].model_answer


def test_three_questions_answered_give_three_turns_and_grades(interview, settings) -> None:
    view = handlers.start(interview, View(None, None, []), "Ana", "nlp-llm-engineer", "mid")
    assert view.session_id and view.turn_id and not view.status
    asked = []
    for i in range(3):
        asked.append(interview.store.turn(view.turn_id)["question_id"])
        view = handlers.submit(interview, view, answer_for(interview, view))
        assert view.status == "", view.status
        assert view.score.startswith("### ") and "**" in view.points
        assert view.model_answer == "" and view.can_show_model_answer  # shown only when asked for
        assert view.answer == ""  # cleared after a graded answer
        if i < 2:
            view = handlers.next_question(interview, view)
    view = handlers.end(interview, view)
    assert "3** answers graded" in view.summary
    assert len(set(asked)) == 3  # no repeats

    with sqlite3.connect(settings.database) as db:
        assert db.execute("select count(*) from turns where answer is not null").fetchone()[0] == 3
        assert db.execute("select count(*) from grades").fetchone()[0] == 3
        assert db.execute("select candidate, role, ended_at is not null from sessions").fetchone() == (
            "Ana", "nlp-llm-engineer", 1)


def test_a_follow_up_is_asked_and_graded_on_its_point(interview) -> None:
    view = handlers.start(interview, View(None, None, []), "Ben", "embedding-engineer", "mid",
                          question_id=open_question(interview.corpus))
    view = handlers.submit(interview, view, "It is about vectors.")  # weak: points are missed
    assert view.follow_ups
    parent = view.turn_id
    view = handlers.follow_up(interview, view, 0)
    turn = interview.store.turn(view.turn_id)
    assert turn["kind"] == "follow_up" and turn["parent_turn_id"] == parent
    assert view.chat[-1]["content"].startswith("**Follow-up 1a:**")
    view = handlers.submit(interview, view, "I would need to look into that more carefully.")
    grade = interview.store.grade_for(view.turn_id)
    assert turn["focus_point_ids"]  # a weak answer's first follow-up probes one missed point
    assert grade is not None and [p.point_id for p in grade.points] == turn["focus_point_ids"]


def test_bad_input_gets_a_sentence_and_keeps_the_answer(interview) -> None:
    nothing = handlers.submit(interview, View(None, None, []), "an answer typed before starting")
    assert nothing.status.startswith("⚠️") and nothing.answer is None  # None: the box is left as it was
    view = handlers.start(interview, View(None, None, []), "Cy", "not-a-role", "mid")
    assert "Choose a role" in view.status
    view = handlers.start(interview, View(None, None, []), "Cy", "ner-specialist", "junior")
    empty = handlers.submit(interview, view, "   ")
    assert "empty" in empty.status and empty.turn_id == view.turn_id
    twice = handlers.submit(interview, handlers.submit(interview, view, answer_for(interview, view)), "again")
    assert "already answered" in twice.status


def test_the_session_survives_a_restart(settings, embedder) -> None:
    first = build_interview(settings, embedder=embedder)
    view = handlers.start(first, View(None, None, []), "Dee", "ai-model-designer", "senior")
    second = build_interview(settings, embedder=embedder)  # a new process over the same database
    after = handlers.submit(second, view, answer_for(second, view))
    assert after.status == "" and second.store.grade_for(view.turn_id) is not None


def test_a_reload_or_restart_carries_on_with_the_unfinished_session(settings, embedder) -> None:
    first = build_interview(settings, embedder=embedder)
    me = "local:candidate-one"
    view = handlers.start(first, View(None, None, []), "Eve", "embedding-engineer", "mid", owner=me)
    view = handlers.submit(first, view, answer_for(first, view))
    view = handlers.next_question(first, view)
    asked_second = view.chat[-1]["content"]

    second = build_interview(settings, embedder=embedder)  # a new process; the page keeps nothing
    back = handlers.resume(second, me)
    assert back is not None and (back.session_id, back.turn_id) == (view.session_id, view.turn_id)
    assert back.status.startswith("Welcome back") and back.answer == ""
    assert (back.role, back.level) == ("embedding-engineer", "mid")  # the pickers show the session's
    assert [m["role"] for m in back.chat] == ["assistant", "user", "assistant", "assistant"]
    assert back.chat == view.chat  # the same conversation as before the restart
    assert back.chat[-1]["content"] == asked_second
    assert handlers.submit(second, back, answer_for(second, back)).status == ""  # and it goes on

    assert handlers.resume(second, "local:someone-else") is None  # only ever the owner's own
    assert handlers.resume(second, None) is None


def test_a_resumed_session_shows_its_last_feedback_or_its_ungraded_answer(settings, embedder) -> None:
    interview = build_interview(settings, embedder=embedder)
    me = "local:candidate-two"
    view = handlers.start(interview, View(None, None, []), "Fay", "embedding-engineer", "junior", owner=me)
    graded = handlers.submit(interview, view, answer_for(interview, view))
    back = handlers.resume(interview, me)
    assert (back.score, back.points, back.follow_ups) == (graded.score, graded.points, graded.follow_ups)
    assert back.level == "junior"
    assert back.chat == graded.chat

    view = handlers.next_question(interview, graded)
    interview.store.save_answer(view.turn_id, "Saved, then the app stopped before grading.")
    back = handlers.resume(interview, me)
    assert back.answer == "Saved, then the app stopped before grading." and "press Submit" in back.status
    assert handlers.submit(interview, back, back.answer).status == ""  # graded now, not refused


def test_an_ended_or_day_old_session_is_not_resumed(settings, embedder) -> None:
    from datetime import UTC, datetime, timedelta

    interview = build_interview(settings, embedder=embedder)
    me = "local:candidate-three"
    view = handlers.start(interview, View(None, None, []), "Gus", "ner-specialist", "mid", owner=me)
    assert interview.resume(me) is not None
    assert interview.resume(me, now=datetime.now(UTC) + timedelta(hours=25)) is None
    handlers.end(interview, view)
    assert interview.resume(me) is None
