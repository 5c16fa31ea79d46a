"""Progress figures from a seeded database equal the values worked out by hand below."""

from __future__ import annotations

import pytest

from bot.history import History
from bot.interview import InterviewError
from bot.store import SessionStore
from bot.text import escape_markdown
from bot.ui import progress_handlers
from tests.history_seed import ANA, OTHER, seed_with_override


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
    assert p.weak_topics() == ["training-efficiency", "word2vec", "embeddings"]
    assert [(c["category"], c["answered"], c["average"]) for c in p.categories] == [
        ("concept", 3, 6.33), ("behavioral", 1, 8.0)]
    # Not covered / asked: rare-words 2/2; binary 1/1, rationale 1/1; cbow 1/2, skipgram 1/2 (the coach
    # covered it the second time), speed 1/2.
    assert [(m["point"], m["missed"], m["asked"]) for m in p.missed] == [
        ("point rare-words", 2, 2), ("point binary", 1, 1), ("point rationale", 1, 1),
        ("point cbow", 1, 2), ("point skipgram", 1, 2), ("point speed", 1, 2)]
    assert p.overridden == 1


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
    assert "coach reviewed 1 answer" in view.overview and "training-efficiency (6.0)" in view.overview
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
