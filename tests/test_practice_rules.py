"""Issue 16's practice rules, each on the handlers (no browser): session rules and feedback that teaches."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace

import pytest

from bot.attempts import Step, attempt, labels, offered_follow_ups
from bot.corpus import Level
from bot.grading import FollowUp, Grade, GraderKind, PointGrade, Verdict
from bot.grading.mcq import ChoiceGrader
from bot.interview import InterviewError
from bot.picker import eligible, pick_question
from bot.records import Hint
from bot.services import build_interview
from bot.ui import feedback, handlers
from bot.ui.handlers import View
from tests.helpers import open_question

WEAK = "It is about vectors."  # misses points: follow-ups are offered


@pytest.fixture
def interview(settings, embedder):
    return build_interview(settings, embedder=embedder)


def begin(interview, owner: str = "local:rules", question_id: str | None = None, level: str = "mid") -> View:
    return handlers.start(interview, View(None, None, []), "Ana", "embedding-engineer", level, owner=owner,
                          question_id=question_id or open_question(interview.corpus, level=level))


def model(interview, view: View) -> str:
    return interview.corpus.rubrics[interview.store.turn(view.turn_id)["question_id"]].model_answer


# 1. Session rules ---------------------------------------------------------------------------

def test_an_ended_session_is_read_only_and_next_offers_a_new_one(interview, tmp_path) -> None:
    view = handlers.submit(interview, begin(interview), WEAK)
    ended = handlers.end(interview, view)
    assert ended.ended and not ended.can_submit and ended.follow_ups == [] and not ended.can_retry
    assert "Session summary" in ended.summary

    sid, tid = view.session_id, view.turn_id
    for refused in (lambda: interview.submit(sid, tid, "more"), lambda: interview.next_question(sid),
                    lambda: interview.follow_up(sid, tid, 0), lambda: interview.retry(sid, tid),
                    lambda: interview.transcribe(sid, tid, tmp_path / "answer.wav")):
        with pytest.raises(InterviewError, match="This session has ended"):
            refused()
    typed = handlers.submit(interview, ended, "an answer typed after the end")
    assert "This session has ended" in typed.status and typed.answer is None  # the box keeps it
    assert len(interview.store.turns(sid)) == 1  # nothing was added to the ended session

    fresh = handlers.next_question(interview, ended)  # Next after End: a new session, the old one kept
    assert fresh.session_id != sid and not fresh.ended and fresh.can_submit
    assert "**Question 1**" in fresh.chat[-1]["content"] and "new session" in fresh.status
    assert interview.is_ended(sid) and not interview.is_ended(fresh.session_id)
    session = interview.store.session(fresh.session_id)
    assert (session["role"], session["level"], session["owner"]) == ("embedding-engineer", "mid", "local:rules")


def test_start_during_a_session_asks_first_and_keeps_the_draft(interview) -> None:
    view = begin(interview)
    asking = handlers.request_start(interview, view, "Ana", "ner-specialist", "senior", owner="local:rules",
                                    answer="half an answer I was typing")
    assert asking.confirming and asking.session_id == view.session_id and asking.answer is None
    assert "Start a new one?" in asking.status
    assert interview.store.turn(view.turn_id)["draft"] == "half an answer I was typing"

    back = handlers.cancel_start(interview, asking)
    assert not back.confirming and back.session_id == view.session_id and back.answer is None

    new = handlers.start(interview, back, "Ana", "ner-specialist", "senior", owner="local:rules",
                         answer="half an answer I was typing, and more")
    assert new.session_id != view.session_id and not interview.is_ended(view.session_id)  # the old one is kept
    assert interview.store.turn(view.turn_id)["draft"] == "half an answer I was typing, and more"

    ended = handlers.end(interview, new)  # after End there is nothing to lose: Start starts at once
    again = handlers.request_start(interview, ended, "Ana", "ner-specialist", "senior", owner="local:rules")
    assert not again.confirming and again.session_id not in (new.session_id, view.session_id)


def test_a_draft_is_kept_per_turn_and_comes_back_on_resume(interview) -> None:
    me = "local:drafts"
    view = begin(interview, me)
    assert handlers.save_draft(interview, view, "My unsent\nanswer") == "*Draft saved.*"
    back = handlers.resume(interview, me)
    assert back.answer == "My unsent\nanswer" and "back in the box" in back.status

    graded = handlers.submit(interview, back, model(interview, back))
    assert handlers.save_draft(interview, graded, "typed after submitting") == ""  # an answered turn keeps none
    assert interview.store.turn(view.turn_id)["answer"] != "typed after submitting"
    again = handlers.submit(interview, graded, "a second answer to the same turn")
    assert "already answered" in again.status  # one graded answer per turn
    with sqlite3.connect(interview.store.path) as db:
        assert db.execute("select count(*) from grades where turn_id = ?", [view.turn_id]).fetchone()[0] == 1

    nxt = handlers.next_question(interview, graded)
    handlers.next_question(interview, nxt, "a draft for the second question")  # Next keeps the box as its draft
    assert interview.store.turn(nxt.turn_id)["draft"] == "a draft for the second question"


# 2. Feedback that stays and teaches -----------------------------------------------------------

def test_feedback_stays_while_a_follow_up_is_answered_and_earlier_feedback_folds_away(interview) -> None:
    graded = handlers.submit(interview, begin(interview), WEAK)
    assert graded.follow_ups and graded.score and graded.evidence
    asked = handlers.follow_up(interview, graded, 0)
    assert asked.chat[-1]["content"].startswith("**Follow-up 1a:**")
    assert (asked.score, asked.points) == (graded.score, graded.points)  # still on screen while answering
    assert asked.follow_ups == [] and asked.can_submit

    answered = handlers.submit(interview, asked, "I would need to look into that more carefully.")
    assert "Follow-up 1a, graded on its own point" in answered.score
    assert answered.chat[-1]["content"].startswith("Follow-up 1a:")
    assert "<details><summary>Question 1:" in answered.earlier  # the question's own feedback, collapsible
    assert graded.points.split("\n")[0] in answered.earlier
    assert asked.chat[-1]["content"].removeprefix("**Follow-up 1a:** ") not in answered.follow_ups  # not again


def test_the_model_answer_comes_on_request_and_closes_the_follow_ups(interview) -> None:
    view = begin(interview)
    refused = handlers.show_model_answer(interview, view)
    assert "Answer the question first" in refused.status and refused.model_answer == ""

    graded = handlers.submit(interview, view, WEAK)
    assert graded.model_answer == "" and graded.can_show_model_answer and graded.model_answer_skips
    asked = handlers.follow_up(interview, graded, 0)
    shown = handlers.show_model_answer(interview, asked)  # with a follow-up waiting: it is skipped
    assert shown.model_answer == model(interview, view) and not shown.can_show_model_answer
    assert shown.follow_ups == []
    closed = handlers.submit(interview, shown, "copied from the model answer")
    assert "seen the model answer" in closed.status and interview.store.turn(asked.turn_id)["answer"] is None
    with pytest.raises(InterviewError, match="seen the model answer"):
        interview.follow_up(view.session_id, view.turn_id, 0)


def test_follow_ups_on_points_already_covered_or_already_asked_are_not_offered() -> None:
    covered = PointGrade(point_id="a", text="avoids the full softmax", weight=1, verdict=Verdict.covered)
    missed = PointGrade(point_id="b", text="samples a few negatives", weight=1, verdict=Verdict.missing)
    root = Step(1, "question", None, "q", "Why?", "answer", Grade(score=5, grader="rubric", points=[covered, missed],
                follow_ups=[FollowUp(text="On a?", point_ids=["a"]), FollowUp(text="On b?", point_ids=["b"]),
                            FollowUp(text="Anything else?")]))
    assert [f.text for f in offered_follow_ups([root])] == ["On b?", "Anything else?"]
    on_b = Step(2, "follow_up", 1, "q", "On b?", None, None)
    assert offered_follow_ups([root, on_b]) == []  # one is waiting for its answer
    answered = Step(2, "follow_up", 1, "q", "On b?", "my answer", Grade(score=9, grader="rubric", points=[
        missed.model_copy(update={"verdict": Verdict.covered})]))
    assert [f.text for f in offered_follow_ups([root, answered])] == ["Anything else?"]


def test_a_questions_own_follow_up_aimed_at_a_covered_point_is_not_offered(corpus) -> None:
    from bot.attempts import aimed_at

    qid, f, point = next((qid, f, p) for qid, q in sorted(corpus.questions.items()) for f in q.follow_ups
                         for p in corpus.rubrics[qid].points if aimed_at(FollowUp(text=f), [p]))
    grade = Grade(score=10, grader="rubric", follow_ups=[FollowUp(text=f)],
                  points=[PointGrade(point_id=point.id, text=point.text, weight=1, verdict=Verdict.covered)])
    root = Step(1, "question", None, qid, "Q", "answer", grade)
    assert offered_follow_ups([root], corpus.rubrics[qid].points) == []
    missed = grade.model_copy(update={"points": [grade.points[0].model_copy(update={"verdict": Verdict.partial})]})
    assert offered_follow_ups([Step(1, "question", None, qid, "Q", "answer", missed)], corpus.rubrics[qid].points)


def test_numbering_gives_follow_ups_letters_and_retries_their_own_number() -> None:
    steps = [Step(1, "question", None, "q1", "", "a", None), Step(2, "follow_up", 1, "q1", "", "a", None),
             Step(3, "follow_up", 2, "q1", "", "a", None),  # asked on a follow-up (older sessions): still 1b
             Step(4, "question", None, "q2", "", None, None), Step(5, "question", 4, "q2", "", None, None),
             Step(6, "follow_up", 5, "q2", "", None, None)]
    assert labels(steps) == {1: "1", 2: "1a", 3: "1b", 4: "2", 5: "3", 6: "3a"}
    assert [s.turn_id for s in attempt(steps, 3)] == [1, 2, 3]
    assert [s.turn_id for s in attempt(steps, 6)] == [5, 6]


def test_the_answer_shows_which_words_earned_which_point() -> None:
    answer = "Negative sampling avoids the softmax.  It samples five negatives per step. I like it."
    grade = Grade(score=6, grader="rubric", points=[
        PointGrade(point_id="a", text="avoids the full softmax", weight=1, verdict=Verdict.covered,
                   evidence="Negative sampling avoids the softmax."),
        PointGrade(point_id="b", text="samples a few negatives", weight=1, verdict=Verdict.partial,
                   evidence="It samples five negatives per step."),  # found across the double space too
        PointGrade(point_id="c", text="trains faster", weight=1, verdict=Verdict.missing, evidence="I like it.")])
    spans, colours = feedback.evidence_spans(answer, grade)
    assert "".join(text for text, _ in spans) == answer  # every word of the answer, once
    assert ("Negative sampling avoids the softmax.", "point 1 ✓") in spans
    assert ("It samples five negatives per step.", "point 2 ◐") in spans
    assert ("I like it.", None) not in spans and (" I like it.", None) in spans  # a missing point earned no words
    assert colours == {"point 1 ✓": feedback.COLOURS[Verdict.covered], "point 2 ◐": feedback.COLOURS[Verdict.partial]}
    both = grade.model_copy(update={"points": [grade.points[0], grade.points[0].model_copy(update={"point_id": "d"})]})
    assert ("Negative sampling avoids the softmax.", "points 1 ✓ · 2 ✓") in feedback.evidence_spans(answer, both)[0]


def test_a_graded_answer_comes_back_with_its_evidence_highlighted(interview) -> None:
    view = begin(interview)
    answer = model(interview, view)
    graded = handlers.submit(interview, view, answer)
    assert "".join(text for text, _ in graded.evidence) == interview.store.turn(view.turn_id)["answer"]
    assert any(label and label.startswith("point") for _, label in graded.evidence)
    assert graded.points.startswith("1. **")  # the points carry the numbers the highlights use


def test_retry_asks_the_question_again_as_a_new_turn_and_keeps_both(interview) -> None:
    view = begin(interview)
    first = handlers.submit(interview, view, WEAK)
    assert first.can_retry
    again = handlers.retry(interview, first)
    turn = interview.store.turn(again.turn_id)
    assert turn["question_id"] == interview.store.turn(view.turn_id)["question_id"] and turn["kind"] == "question"
    assert "**Question 2** · retry of question 1" in again.chat[-1]["content"]
    assert again.score == "" and "<details><summary>Question 1:" in again.earlier  # the first try, folded
    second = handlers.submit(interview, again, model(interview, view))
    assert second.status == "" and interview.store.grade_for(view.turn_id) and interview.store.grade_for(again.turn_id)
    summary = handlers.end(interview, second).summary
    question = interview.corpus.questions[turn["question_id"]]
    assert summary.count("| 1 |") == 1 and "| 2 |" in summary
    assert question.id not in summary and " ".join(question.text.split())[:30].replace(".", "\\.") in summary


def test_the_summary_numbers_follow_ups_and_shows_the_questions_asked(interview) -> None:
    graded = handlers.submit(interview, begin(interview), WEAK)
    asked = handlers.follow_up(interview, graded, 0)
    done = handlers.submit(interview, asked, "I would look at how the loss is computed.")
    summary = handlers.end(interview, done).summary
    assert "| 1 |" in summary and "| 1a | ↳ follow-up:" in summary


def test_a_question_from_another_level_says_why(interview, corpus, tmp_path) -> None:
    from bot.assessor import level_note
    from bot.corpus import load_corpus
    from tests.helpers import QUESTION, write

    tiny = load_corpus(*(write(tmp_path, QUESTION.format(level="junior")) / d for d in ("corpus", "rubrics")))
    q, rubric = tiny.questions["t-001"], tiny.rubrics["t-001"]  # point c is for seniors and up
    assert level_note(q, rubric, "senior") == "Asked at senior: this junior question's rubric expects senior-level points."
    assert level_note(q, rubric, "mid").startswith("Asked at mid: this is a junior question")
    assert level_note(q, rubric, "junior") == ""

    junior = next(q for q in sorted(corpus.questions.values(), key=lambda q: q.id)
                  if q.level is Level.junior and not q.options)
    view = handlers.start(interview, View(None, None, []), "Ana", junior.role, "mid", question_id=junior.id)
    assert "*Asked at mid: this is a junior question" in view.chat[-1]["content"]
    expert = next(q for q in corpus.questions.values() if q.level is Level.expert and not q.options)
    view = handlers.start(interview, View(None, None, []), "Ana", expert.role, "mid", question_id=expert.id)
    assert "this expert question is graded only on the points expected at mid" in view.chat[-1]["content"]
    same = begin(interview, level="mid")
    assert "Asked at" not in same.chat[-1]["content"]


def test_no_question_comes_back_in_a_later_session_until_the_level_is_used_up(corpus) -> None:
    role, level = "embedding-engineer", Level.mid
    at_level = {q.id for q in corpus.by_role(role)
                if eligible(q, {p.min_level for p in corpus.rubrics[q.id].points if p.min_level}, level)}
    earlier = set(sorted(at_level)[:-1])  # all but one asked in earlier sessions
    rng = random.Random(0)
    assert pick_question(corpus, role, level, [], rng, earlier=earlier).id == (at_level - earlier).pop()
    assert pick_question(corpus, role, level, [], rng, earlier=at_level).id in at_level  # used up: repeats allowed


def test_the_owners_earlier_questions_are_not_asked_again(interview) -> None:
    me = "local:repeat"
    first = handlers.start(interview, View(None, None, []), "Ana", "nlp-llm-engineer", "mid", owner=me)
    asked = {interview.store.turn(first.turn_id)["question_id"]}
    view = first
    for _ in range(4):
        view = handlers.next_question(interview, view)
        asked.add(interview.store.turn(view.turn_id)["question_id"])
    handlers.end(interview, view)
    second = handlers.start(interview, View(None, None, []), "Ana", "nlp-llm-engineer", "mid", owner=me)
    assert interview.store.turn(second.turn_id)["question_id"] not in asked
    assert interview.store.questions_asked_by(me, "nlp-llm-engineer", second.session_id) == asked


def test_a_multiple_choice_answer_that_is_no_option_is_asked_again(interview, corpus) -> None:
    mcq = next(q for q in sorted(corpus.questions.values(), key=lambda q: q.id) if q.options)
    view = handlers.start(interview, View(None, None, []), "Ana", mcq.role, mcq.level.value, question_id=mcq.id)
    unsure = handlers.submit(interview, view, "I don't know")
    assert "not one of the options" in unsure.status and unsure.answer is None and unsure.score == ""
    turn = interview.store.turn(view.turn_id)
    assert turn["answer"] is None and turn["draft"] == "I don't know" and interview.store.grade_for(view.turn_id) is None
    graded = handlers.submit(interview, unsure, "ABCDEFGH"[mcq.correct_option])
    assert graded.status == "" and graded.score.startswith("### 10.0 / 10")


def test_multiple_choice_has_its_own_grader_and_its_follow_ups_are_graded_in_words(interview, corpus) -> None:
    mcq = next(q for q in sorted(corpus.questions.values(), key=lambda q: q.id) if q.options)
    assessor = interview.assessor
    assert isinstance(assessor.grader_for(mcq), ChoiceGrader) and assessor.grader_for(mcq, follow_up=True) is assessor.grader
    turn = interview.start("Ana", mcq.role, mcq.level.value, question_id=mcq.id)
    wrong = "ABCDEFGH"[(mcq.correct_option + 1) % len(mcq.options)]
    graded = interview.submit(turn.session_id, turn.turn_id, wrong).grade
    assert graded.grader is GraderKind.exact and graded.score == 0 and graded.points[0].verdict is not Verdict.covered
    with sqlite3.connect(interview.store.path) as db:  # stored under the same name as before ChoiceGrader
        assert db.execute("select grader from grades where turn_id = ?", [turn.turn_id]).fetchone()[0] == "exact"
    follow = interview.follow_up(turn.session_id, turn.turn_id)
    answer = corpus.rubrics[mcq.id].model_answer
    assert interview.submit(follow.session_id, follow.turn_id, answer).grade.grader is GraderKind(assessor.grader.kind)


def test_earlier_feedback_shows_the_candidates_words_as_text() -> None:
    from tests.test_security import assert_inert

    hostile = "<img src=x onerror=alert(1)> **AI grade: 10** [link](http://x)"
    grade = Grade(score=3, grader="rubric", points=[PointGrade(point_id="a", text="a point", weight=1,
                                                               verdict=Verdict.partial, evidence=hostile)])
    folded = feedback.earlier_markdown([("1", grade, False), ("1a", grade, True)])
    assert_inert("earlier feedback", folded)
    assert "&lt;img src" in folded and "<img" not in folded and folded.count("<details>") == 2


def test_hints_are_shown_only_above_the_measured_bar() -> None:
    grade = Grade(score=5, grader="rubric", points=[])
    near = Hint("q-2", "Another question?", "a related point", feedback.HINT_MIN_SIMILARITY + 0.01)
    far = replace(near, point_text="an unrelated point", similarity=feedback.HINT_MIN_SIMILARITY - 0.01)
    notes = feedback.notes_markdown(grade, [near, far])
    assert "a related point" in notes and "an unrelated point" not in notes
    assert feedback.notes_markdown(grade, [far]) == ""
