"""Progress figures from a seeded database equal the values worked out by hand below."""

from __future__ import annotations

import pytest

from bot.grading import Grade, PointGrade
from bot.history import History
from bot.interview import InterviewError
from bot.store import SessionStore
from bot.text import escape_markdown
from bot.ui import progress_handlers
from tests.history_seed import ANA, OTHER, add_session, grade, seed_with_override


@pytest.fixture
def seeded(tmp_path):
    store = SessionStore(tmp_path / "s.db")
    return store, seed_with_override(store, "coach")


def test_the_corpus_still_has_the_topics_the_hand_computation_uses(corpus) -> None:
    assert corpus.questions["emb-004"].topics == ["word2vec", "embeddings"]
    assert corpus.questions["emb-005"].topics == ["word2vec", "training-efficiency"]
    assert corpus.questions["emb-001"].topics == ["experience", "embeddings", "sentence-embeddings"]
    assert [corpus.questions[q].category.value for q in ("emb-004", "emb-005", "emb-001")] == [
        "concept", "concept", "behavioral"]


def test_progress_figures_match_hand_computed_values(seeded, corpus) -> None:
    store, ids = seeded
    p = History(store, corpus).progress(ANA)
    # Final scores, in order: 4, 6 (session 1), 8, 9 (session 2: the coach's 9 replaces the AI's 2).
    assert [t["score"] for t in p.turns] == [4.0, 6.0, 8.0, 9.0]
    assert [t["n"] for t in p.turns] == [1, 2, 3, 4]
    assert [(s["session_id"], s["answered"], s["average"]) for s in p.sessions] == [
        (ids["s1"], 2, 5.0), (ids["s2"], 2, 8.5)]
    # word2vec: 4, 6, 9 -> 6.33; embeddings: 4, 8, 9 -> 7.0; training-efficiency: 6; experience, sentence-embeddings: 8.
    assert [(t["topic"], t["answered"], t["average"]) for t in p.topics] == [
        ("training-efficiency", 1, 6.0), ("word2vec", 3, 6.33), ("embeddings", 3, 7.0),
        ("experience", 1, 8.0), ("sentence-embeddings", 1, 8.0)]
    assert p.weak_topics() == []  # word2vec (6.33) and embeddings (7.0) are not below 6; one answer calls nothing
    assert [(c["category"], c["answered"], c["average"]) for c in p.categories] == [
        ("concept", 3, 6.33), ("behavioral", 1, 8.0)]
    # Not covered / asked: rare-words 2/2; binary 1/1, rationale 1/1; cbow 1/2, skipgram 1/2 (the coach
    # covered it the second time), speed 1/2.
    assert [(m["point"], m["missed"], m["asked"]) for m in p.missed] == [
        ("point rare-words", 2, 2), ("point binary", 1, 1), ("point rationale", 1, 1),
        ("point cbow", 1, 2), ("point skipgram", 1, 2), ("point speed", 1, 2)]
    assert p.overridden == 1
    # Skills: these points are each question's own, so they count for the question's topics. Covered / asked:
    # word2vec 2/4 (emb-004) + 1/2 (emb-005) + 1/4 (emb-004 again, skipgram covered by the coach) = 4/10;
    # embeddings 2/4 + 1/2 (emb-001) + 1/4 = 4/10; training-efficiency 1/2; experience, sentence-embeddings 1/2.
    assert [(s["skill"], s["answered"], s["covered"], s["asked"]) for s in p.skills] == [
        ("embeddings", 3, 4, 10), ("word2vec", 3, 4, 10), ("experience", 1, 1, 2),
        ("sentence-embeddings", 1, 1, 2), ("training-efficiency", 1, 1, 2)]
    assert [(r["coach"], r["score"], r["note"], r["number"], r["question"]) for r in p.reviews] == [
        ("coach", 9.0, "Better than it looks.", "2", "the text of emb-004")]


def test_another_candidate_with_the_same_name_sees_only_their_own(seeded, corpus) -> None:
    store, ids = seeded
    history = History(store, corpus)
    assert [s["session_id"] for s in history.sessions(OTHER)] == [ids["other"]]
    assert [t["score"] for t in history.progress(OTHER).turns] == [10.0]
    for owner, session_id in ((OTHER, ids["s1"]), (ANA, ids["other"]), (None, ids["s1"]), (ANA, "no-such-id")):
        with pytest.raises(InterviewError, match="not one of yours"):
            history.replay(owner, session_id)
        with pytest.raises(InterviewError, match="not one of yours"):
            history.recording(owner, session_id, ids["turns"][0])
    assert history.replay(ANA, ids["s1"])["turns"][0]["answer"] == "CBOW predicts the centre word."


def test_the_progress_tab_handlers_show_figures_and_refuse_a_stranger(seeded, corpus) -> None:
    store, ids = seeded
    history = History(store, corpus)
    view = progress_handlers.progress(history, ANA)
    assert "**2 sessions**, **4 graded answers**, average **6.8 / 10**" in view.overview  # (4+6+8+9)/4 = 6.75
    assert "coach's score replaced the AI's on 1 answer" in view.overview
    # The coach's note reaches the candidate from the notice, not only from the replay.
    assert "A coach reviewed 1 answer of yours" in view.reviews
    assert escape_markdown("Better than it looks.") in view.reviews and "9.0 / 10" in view.reviews
    assert "the text of emb\\-004" in view.reviews  # the question, not its id
    # Skills under half covered over 3 answers are called weak; the one-answer topics are too early.
    assert "Skill: embeddings (4 of 10 points covered over 3 answers)" in view.guidance
    assert "Too early to call (3 topics with one answer)" in view.guidance
    assert view.topics[0] == ["training-efficiency", 1, "6.0", "too early"]
    assert [s for s, *_ in view.sessions] and all("practice" in label for label, _ in view.sessions)
    assert "reviewed by a coach" in view.sessions[0][0] and "reviewed" not in view.sessions[1][0]
    assert [sid for _, sid in view.sessions] == [ids["s2"], ids["s1"]]  # newest first
    refused = progress_handlers.replay(history, OTHER, ids["s1"])
    assert refused.status.startswith("⚠️") and refused.transcript is None
    shown = progress_handlers.replay(history, ANA, ids["s2"])
    assert escape_markdown("Better than it looks.") in shown.transcript and "AI grade: 2.0 / 10" in shown.transcript
    empty = progress_handlers.progress(history, "local:nobody")
    assert empty.sessions == [] and "No sessions yet" in empty.overview


def test_practising_weak_topics_keeps_every_question_in_those_topics(settings, embedder) -> None:
    from bot.services import build_interview
    from bot.ui import handlers
    from bot.ui.handlers import View

    interview = build_interview(settings, embedder=embedder)
    topics = ["word2vec", "training-efficiency"]
    view = handlers.start(interview, View(None, None, []), "Ana", "embedding-engineer", "mid",
                          owner=ANA, topics=topics)
    assert view.status == "" and "weakest topics" in view.chat[0]["content"]
    for _ in range(3):
        turn = interview.store.turn(view.turn_id)
        assert set(interview.corpus.questions[turn["question_id"]].topics) & set(topics), turn["question_id"]
        view = handlers.next_question(interview, view)
    assert interview.store.session(view.session_id)["owner"] == ANA


def test_a_topic_is_called_weak_only_after_two_answers(tmp_path, corpus) -> None:
    store = SessionStore(tmp_path / "s.db")
    history = History(store, corpus)
    add_session(store, ANA, "Ana", "2026-03-01T10:00:00.000+00:00", [
        ("emb-004", "Not sure.", grade(2.0, {"cbow": "missing", "skipgram": "missing", "rare-words": "missing"}))])
    one = progress_handlers.progress(history, ANA)
    assert one.weak_topics == [] and "To work on" not in one.guidance  # one bad answer is not a pattern
    assert "Nothing is weak or strong yet" in one.guidance and "Too early to call (2 topics" in one.guidance
    assert [row[3] for row in one.topics] == ["too early"] * 2
    add_session(store, ANA, "Ana", "2026-03-02T10:00:00.000+00:00", [
        ("emb-005", "Cheaper.", grade(3.0, {"cost": "partial", "binary": "missing"}))])
    two = progress_handlers.progress(history, ANA)
    # word2vec now has two answers (2.0 and 3.0): weak. embeddings and training-efficiency have one each.
    assert two.weak_topics == ["word2vec"]
    assert "Topic: word2vec (average 2.5 over 2 answers)" in two.guidance
    assert "Skill: word2vec (0 of 5 points covered over 2 answers)" in two.guidance
    assert "embeddings (average" not in two.guidance


def test_shared_points_are_skills_of_their_own(tmp_path, corpus) -> None:
    """The parts of an interview story are points of every behavioral question: one skill each."""
    store = SessionStore(tmp_path / "s.db")
    result = "gives the outcome, ideally measured or observable"
    assert len([r for r in corpus.rubrics.values() if result in {p.text for p in r.points}]) >= 3

    def story(score: float, verdict: str) -> Grade:
        return Grade(score=score, grader="rubric", points=[
            PointGrade(point_id="names-models", text="names the models", weight=1.0, verdict="covered"),
            PointGrade(point_id="star-result", text=result, weight=1.0, verdict=verdict)])

    add_session(store, ANA, "Ana", "2026-03-01T10:00:00.000+00:00", [
        ("emb-001", "Story one.", story(6.0, "missing")), ("emb-001", "Story two.", story(6.0, "partial"))])
    p = History(store, corpus).progress(ANA)
    skills = {s["skill"]: (s["answered"], s["covered"], s["asked"]) for s in p.skills}
    assert skills[result] == (2, 0, 2)  # not counted under the question's topics
    assert skills["experience"] == (2, 2, 2)
    assert "Skill: " + escape_markdown(result) in progress_handlers.progress(History(store, corpus), ANA).guidance


def test_charts_wait_for_something_to_compare(tmp_path, corpus) -> None:
    store = SessionStore(tmp_path / "s.db")
    history = History(store, corpus)
    empty = progress_handlers.progress(history, ANA)
    assert empty.by_session == [] and empty.by_turn == [] and "after two graded answers" in empty.charts_note
    add_session(store, ANA, "Ana", "2026-03-01T10:00:00.000+00:00", [
        ("emb-004", "A.", grade(4.0, {"cbow": "covered", "skipgram": "missing"}))])
    one = progress_handlers.progress(history, ANA)
    assert one.by_session == [] and one.by_turn == []  # no chart of a single point
    assert "After your second graded answer" in one.charts_note
    add_session(store, ANA, "Ana", "2026-03-01T11:00:00.000+00:00", [
        ("emb-005", "B.", grade(6.0, {"cost": "covered"})), ("emb-004", "C.", grade(8.0, {"cbow": "covered"}))])
    two = progress_handlers.progress(history, ANA)
    # Whole answers and sessions on the x axis: labels, never a number the chart could split into 1.5.
    assert [r["label"] for r in two.by_turn] == ["1", "2", "3"] and [r["score"] for r in two.by_turn] == [4.0, 6.0, 8.0]
    assert [r["label"] for r in two.by_session] == ["1 · 03-01", "2 · 03-01"]
    assert [r["average"] for r in two.by_session] == [4.0, 7.0] and two.charts_note == ""
    assert two.by_turn[0]["question"] == "the text of emb-004"
