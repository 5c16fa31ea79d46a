"""Interview mode through its handlers (no browser): five questions and no feedback until the report
card, the answer timer and the think time, ending early, resuming, the stored mode, and a report
card whose Markdown shows what people (and graders) wrote as text."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import migrations
from bot.grading import FalseClaim, Grade, Grader, PointGrade, Verdict
from bot.mock import MockInterview
from bot.services import build_interview
from bot.store import SessionStore
from bot.text import escape_markdown
from bot.ui import handlers, mock_handlers
from bot.ui.handlers import View
from bot.ui.mock_handlers import ANSWER, DONE, THINK, MockView
from tests.helpers import open_question

ME = "local:mock-candidate"
T0 = 1_000_000.0  # the handlers' clock in these tests (time.time() in the app)
SCORE = re.compile(r"\d+(\.\d)? ?/ ?10|[✓◐✗⊘]|covered|partial|missing|incorrect", re.IGNORECASE)


@pytest.fixture
def interview(settings, embedder):
    return build_interview(settings, embedder=embedder)


@pytest.fixture
def mock(interview) -> MockInterview:
    return MockInterview(interview)


def model_answer(mock: MockInterview, view: MockView) -> str:
    question = mock.corpus.questions[mock.store.turn(view.turn_id)["question_id"]]
    if question.options:
        return "ABCD"[question.correct_option]
    return mock.corpus.rubrics[question.id].model_answer


def begin(mock: MockInterview, answer_seconds: int = 0, think_seconds: int = 0, questions: int = 5,
          name: str = "Ana", **kw) -> MockView:
    view = mock_handlers.start(mock, MockView(), name, "embedding-engineer", "mid", questions, think_seconds,
                               answer_seconds, owner=ME, now=T0, **kw)
    assert view.phase in (ANSWER, THINK) and view.status and not view.status.startswith("⚠️"), view.status
    return view


def shown(view: MockView) -> str:
    """Everything a view puts on screen before the report card."""
    return "\n".join(x for x in (view.status, view.question, view.clock, view.report) if x)


def test_five_questions_no_feedback_until_the_report_card(mock, settings) -> None:
    view = begin(mock)
    asked = []
    for n in range(1, 6):
        assert view.question.startswith(f"### Question {n} of 5")
        asked.append(mock.store.turn(view.turn_id)["prompt"])
        view = mock_handlers.submit(mock, view, model_answer(mock, view), now=T0)
        if n < 5:
            assert view.phase == ANSWER and view.answer == ""  # the next question, a cleared box
            assert not SCORE.search(shown(view)), shown(view)  # no score, no verdict before the end
            assert view.report in ("", None) and view.report_file is None
            with sqlite3.connect(settings.database) as db:  # yet every answer is graded and kept as it comes
                assert db.execute("select count(*) from grades").fetchone()[0] == n

    assert view.phase == DONE and "report card is below" in view.status
    card = view.report
    assert "### Overall: " in card and "5 of 5 questions answered" in card
    for prompt in asked:  # per question: its text, not its id
        assert prompt.split()[0] in card
    assert not re.search(r"\|\s*emb-\d+", card)
    assert card.count("\n| ") >= 6  # the header and five rows
    for section in ("### Strengths", "### Gaps", "### What you got wrong", "### What to practise next"):
        assert section in card
    assert Path(view.report_file).read_text() == card  # the download is the card
    assert view.report_file.endswith(".md")
    pdf = Path(view.report_pdf).read_bytes()  # and as a PDF
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 10_000
    with sqlite3.connect(settings.database) as db:
        assert db.execute("select mode, ended_at is not null from sessions").fetchone() == ("interview", 1)
        assert db.execute("select count(*) from turns").fetchone()[0] == 5  # no sixth question

    after = mock_handlers.submit(mock, view, "one more answer", now=T0)
    assert after.status.startswith("⚠️") and after.answer is None  # refused, the text stays


def test_both_modes_are_stored_in_the_same_tables_with_their_mode(mock, interview, settings) -> None:
    begin(mock)
    handlers.start(interview, View(None, None, []), "Ana", "embedding-engineer", "mid", owner="local:other")
    with sqlite3.connect(settings.database) as db:
        rows = db.execute("select owner, mode, settings from sessions order by started_at").fetchall()
    assert [(o, m) for o, m, _ in rows] == [(ME, "interview"), ("local:other", "practice")]
    assert '"answer_seconds": 0' in rows[0][2] and '"questions": 5' in rows[0][2]


def test_an_old_database_reads_its_sessions_as_practice(tmp_path: Path) -> None:
    path = tmp_path / "m009.db"
    db = Database(path)
    migrations.migrate(db, stop_before="m011_session_mode")
    db.table("sessions").insert({"id": "s1", "candidate": "Ana", "role": "r", "level": "mid", "owner": "o"})
    db.conn.close()
    store = SessionStore(path)
    assert store.session("s1")["mode"] == "practice"
    with sqlite3.connect(path) as conn:
        column = next(c for c in conn.execute("pragma table_info(sessions)") if c[1] == "mode")
    assert column[3] == 1 and column[4] == "'practice'"  # NOT NULL DEFAULT 'practice'


def test_the_countdown_and_time_up_submit_the_answer_as_it_stands(mock) -> None:
    view = begin(mock, answer_seconds=60, question_id=open_question(mock.corpus))
    assert view.deadline == T0 + 60 and "1:00" in view.clock
    ticking = mock_handlers.tick(mock, view, "half an ans", now=T0 + 15)
    assert ticking.only_clock and "0:45" in ticking.clock  # only the countdown changes
    assert mock.store.turn(view.turn_id)["answer"] is None

    typed = "Negative sampling updates only a few output vectors per step instead of the whole"
    after = mock_handlers.tick(mock, view, typed, now=T0 + 60)
    assert "submitted as it stood" in after.status and after.phase == ANSWER
    assert mock.store.turn(view.turn_id)["answer"] == typed  # graded, as typed at zero
    assert mock.store.grade_for(view.turn_id).grader != "timer"
    assert after.turn_id != view.turn_id and after.deadline == T0 + 120 and after.answer == ""
    assert not SCORE.search(shown(after))


def test_time_up_with_an_empty_box_scores_the_question_zero_and_moves_on(mock) -> None:
    view = begin(mock, answer_seconds=30, questions=2)
    after = mock_handlers.tick(mock, view, "   ", now=T0 + 31)
    assert "no answer was given" in after.status and after.question.startswith("### Question 2 of 2")
    grade = mock.store.grade_for(view.turn_id)
    assert grade.score == 0 and grade.grader == "timer" and all(p.verdict == Verdict.missing for p in grade.points)
    done = mock_handlers.tick(mock, after, "", now=T0 + 70)
    assert done.phase == DONE and "time ran out before an answer" in done.report
    assert "### Overall: 0.0 / 10" in done.report


def test_think_time_comes_first_then_the_answer_timer(mock) -> None:
    view = begin(mock, answer_seconds=90, think_seconds=20)
    assert view.phase == THINK and view.deadline == T0 + 20 and "Think time" in view.clock
    refused = mock_handlers.tick(mock, view, "", now=T0 + 5)
    assert refused.only_clock and refused.phase == THINK
    answering = mock_handlers.tick(mock, view, "", now=T0 + 20)
    assert answering.phase == ANSWER and answering.deadline == T0 + 110 and "1:30" in answering.clock
    early = mock_handlers.begin(mock, view, now=T0 + 3)  # "Start answering now"
    assert early.phase == ANSWER and early.deadline == T0 + 93
    assert mock.store.turn(view.turn_id)["answer"] is None  # nothing was submitted by the think time


def test_ending_early_submits_the_box_and_reports_what_was_answered(mock, settings) -> None:
    view = begin(mock)
    view = mock_handlers.submit(mock, view, model_answer(mock, view), now=T0)
    typed = model_answer(mock, view)
    ended = mock_handlers.end(mock, view, typed)
    assert ended.phase == DONE and "saved first" in ended.status
    assert "2 of 5 questions answered" in ended.report and "ended after 2 of 5" in ended.report
    with sqlite3.connect(settings.database) as db:
        assert db.execute("select count(*) from grades").fetchone()[0] == 2
        assert db.execute("select ended_at is not null from sessions").fetchone() == (1,)

    empty = begin(mock)
    ended = mock_handlers.end(mock, empty, "")
    assert "No question was answered" in ended.report


def test_a_reload_resumes_the_interview_not_a_practice_session(mock, interview, settings, embedder) -> None:
    view = begin(mock, answer_seconds=120)
    view = mock_handlers.submit(mock, view, model_answer(mock, view), now=T0)

    again = MockInterview(build_interview(settings, embedder=embedder))  # a new process, the same database
    back = mock_handlers.resume(again, ME, now=T0 + 500)
    assert back is not None and (back.session_id, back.turn_id) == (view.session_id, view.turn_id)
    assert back.question == view.question and back.status.startswith("Welcome back")
    assert back.deadline == T0 + 620  # the timer starts again
    assert handlers.resume(interview, ME) is None  # the practice tab leaves it alone: no feedback shown there
    assert mock_handlers.resume(again, "local:someone-else") is None

    interview.store.save_answer(back.turn_id, "Saved, then the app stopped before grading.")
    unsaved = mock_handlers.resume(again, ME, now=T0)
    assert unsaved.answer == "Saved, then the app stopped before grading." and "not graded" in unsaved.status


def test_rules_that_make_no_sense_get_a_sentence(mock, settings) -> None:
    for n, think, answer, says in ((0, 0, 0, "between 1 and"), (5, 2, 0, "Think time"), (5, 0, 3, "Answer time")):
        view = mock_handlers.start(mock, MockView(), "Ana", "embedding-engineer", "mid", n, think, answer, owner=ME)
        assert view.status.startswith("⚠️") and says in view.status and view.phase != ANSWER
    running = begin(mock)
    twice = mock_handlers.start(mock, running, "Ana", "embedding-engineer", "mid", 5, 0, 0, owner=ME)
    assert "An interview is running" in twice.status and twice.turn_id == running.turn_id
    assert mock_handlers.submit(mock, MockView(), "an answer").status.startswith("⚠️")
    with sqlite3.connect(settings.database) as db:
        assert db.execute("select count(*) from sessions").fetchone()[0] == 1


class Claiming(Grader):
    """Marks every point incorrect and reports the first sentence of the answer as a false claim."""

    kind = "rubric"

    def grade(self, question, rubric_points, answer, red_flags=()) -> Grade:
        points = [PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.incorrect)
                  for p in rubric_points]
        return Grade(score=0.0, grader="rubric", points=points,
                     false_claims=[FalseClaim(quote=answer, fact="<b>facts</b> [are](javascript:x) *stubborn*")])


def test_the_report_card_shows_claims_and_names_as_text(settings, embedder) -> None:
    mock = MockInterview(build_interview(settings, embedder=embedder, grader=Claiming()))
    view = begin(mock, questions=1, name="<img src=x onerror=alert(1)> **Eve**",
                 question_id=open_question(mock.corpus))
    done = mock_handlers.submit(mock, view, "Every word is updated. See [here](http://evil.example) # now", now=T0)
    card = done.report
    assert "You said “Every word is updated\\. See \\[here\\]\\(http\\://evil\\.example\\) \\# now” — in fact, " \
           "&lt;b&gt;facts&lt;/b&gt; \\[are\\]\\(javascript\\:x\\) \\*stubborn\\*" in card
    assert "&lt;img src\\=x onerror\\=alert\\(1\\)&gt; \\*\\*Eve\\*\\*" in card
    assert "<img" not in card and "<b>" not in card and "](" not in card
    assert "### Gaps" in card and "### What to practise next" in card
    practise = card.split("### What to practise next")[1]
    topic = mock.corpus.questions[open_question(mock.corpus)].topics[0]
    assert escape_markdown(topic) in practise  # the question's topic, with the points it missed
    first = mock.corpus.rubrics[open_question(mock.corpus)].points[0].text
    assert f"  - {escape_markdown(first)}" in practise


def test_progress_keeps_a_running_interview_out_of_sight_until_it_ends(mock, interview) -> None:
    from bot.history import History
    from bot.ui import progress_handlers

    history = History(interview.store, interview.corpus)
    view = begin(mock)
    view = mock_handlers.submit(mock, view, model_answer(mock, view), now=T0)
    assert history.sessions(ME) == [] and history.progress(ME).turns == []
    assert "still running" in progress_handlers.replay(history, ME, view.session_id).status
    mock_handlers.end(mock, view, "")
    assert [s["session_id"] for s in history.sessions(ME)] == [view.session_id]
    assert len(history.progress(ME).turns) == 1


def test_the_pdf_draws_any_name_and_claim_as_text(settings, embedder) -> None:
    from bot.report import report_card
    from bot.report_pdf import report_pdf

    mock = MockInterview(build_interview(settings, embedder=embedder, grader=Claiming()))
    view = begin(mock, questions=2, name="Zoë <b>Ana</b> **x** 日本 😀", question_id=open_question(mock.corpus))
    view = mock_handlers.submit(mock, view, "Ünïcode “quotes” and <script>alert(1)</script>", now=T0)
    card = report_card(mock.store.session_record(view.session_id), mock.corpus, 2)  # one answered, one not
    pdf = report_pdf(card)
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
    assert card.claims and card.questions[1].score is None
