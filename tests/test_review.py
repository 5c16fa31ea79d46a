"""Coach review: an override keeps the original grade, shows to the candidate, and refuses
without a coach; sign-in by password or organisation; filters and sorting."""

from __future__ import annotations

import sqlite3

import pytest

from bot.coach import CoachAuth
from bot.history import History
from bot.interview import InterviewError
from bot.review import Review, session_filter
from bot.store import SessionStore
from bot.text import escape_markdown
from bot.ui import coach_handlers
from tests.history_seed import ANA, seed


@pytest.fixture
def seeded(tmp_path):
    store = SessionStore(tmp_path / "s.db")
    return store, seed(store)


def test_an_override_keeps_the_ai_grade_and_shows_beside_it(seeded, corpus) -> None:
    store, ids = seeded
    turn_id = ids["turns"][3]
    before = store.grade_for(turn_id)
    after = Review(store).override("Zoe", ids["s2"], turn_id, "Better than it looks.", "9", {"skipgram": "covered"})

    assert store.grade_for(turn_id) == before  # the AI grade row is untouched
    with sqlite3.connect(store.path) as db:
        assert db.execute("select score from grades where turn_id = ?", [turn_id]).fetchall() == [(2.0,)]
        coach, created = db.execute("select coach, created_at from overrides where turn_id = ?", [turn_id]).fetchone()
    assert coach == "Zoe" and created
    assert after["grade"]["score"] == 2.0 and after["override"]["score"] == 9.0 and after["final_score"] == 9.0
    assert after["override"]["points"] == {"skipgram": "covered"}

    mine = History(store, corpus).replay(ANA, ids["s2"])["turns"][1]  # the candidate sees both
    assert mine["grade"]["score"] == 2.0 and mine["override"]["note"] == "Better than it looks."

    Review(store).override("Yan", ids["s2"], turn_id, "Second look: fine.", None, None)  # a note only
    latest = store.session_record(ids["s2"])["turns"][1]
    assert latest["override"]["coach"] == "Yan" and latest["override"]["score"] is None
    assert latest["final_score"] == 2.0  # a note without a score leaves the AI's score in force


def test_changed_verdicts_without_a_score_give_the_score_they_earn(seeded) -> None:
    store, ids = seeded
    # emb-004 in session 1 was covered, missing, partial, covered (the AI said 4.0).
    turn = Review(store).override("Zoe", ids["s1"], ids["turns"][0], "", None,
                                  {"rare-words": "covered", "cbow": "covered"})  # cbow unchanged: ignored
    assert turn["override"]["points"] == {"rare-words": "covered"}
    assert turn["override"]["score"] == 7.5  # 3 of 4 equal-weight points covered


@pytest.mark.parametrize(("kwargs", "sentence"), [
    ({"coach": None}, "Sign in as a coach first."),
    ({"coach": ""}, "Sign in as a coach first."),
    ({"score": "eleven"}, "not a number"),
    ({"score": 11}, "between 0 and 10"),
    ({"verdicts": {"no-such-point": "covered"}}, "not graded on a point 'no-such-point'"),
    ({"verdicts": {"cbow": "excellent"}}, "covered, partial, missing or incorrect"),
    ({"note": "  ", "score": None, "verdicts": {}}, "Write a note"),
    ({"session_id": "no-such-session"}, "no such session"),
    ({"turn": "other"}, "not part of this session"),
])
def test_a_bad_override_gets_a_sentence_and_stores_nothing(seeded, kwargs, sentence) -> None:
    store, ids = seeded
    args = {"coach": "Zoe", "session_id": ids["s1"], "note": "n", "score": None, "verdicts": None, **kwargs}
    turn_id = ids["other_turn"] if kwargs.get("turn") == "other" else ids["turns"][0]
    with pytest.raises(InterviewError, match=sentence):
        Review(store).override(args["coach"], args["session_id"], turn_id, args["note"], args["score"], args["verdicts"])
    with sqlite3.connect(store.path) as db:
        assert db.execute("select count(*) from overrides").fetchone()[0] == 0


def test_filters_and_sorting(seeded) -> None:
    store, ids = seeded
    review = Review(store)

    def found(**kw) -> list[str]:
        return [s["session_id"] for s in review.sessions("Zoe", session_filter(**kw))]

    assert found() == [ids["s2"], ids["other"], ids["s1"]]  # newest first
    assert found(order="oldest") == [ids["s1"], ids["other"], ids["s2"]]
    assert found(order="score-high") == [ids["other"], ids["s2"], ids["s1"]]  # 10, 5, 5: newer first on ties
    assert found(candidate="an") == found() and found(candidate="bo") == []
    assert found(date_from="2026-03-05", date_to="2026-03-05") == [ids["other"]]  # whole days, both ends
    assert found(date_from="2026-03-06") == [ids["s2"]]
    assert found(min_score="6") == [ids["other"]] and found(max_score=5) == [ids["s2"], ids["s1"]]
    assert found(level="senior") == [] and found(role="embedding-engineer", order="oldest")[0] == ids["s1"]
    for bad, sentence in (({"date_from": "March 1st"}, "YYYY-MM-DD"), ({"date_from": "2026-03-09", "date_to": "2026-03-01"}, "before"),
                          ({"min_score": "x"}, "not a number"), ({"order": "random"}, "Sort by")):
        with pytest.raises(InterviewError, match=sentence):
            session_filter(**bad)


def test_coach_sign_in_by_password_and_by_organisation() -> None:
    auth = CoachAuth(password="correct horse")
    assert coach_handlers.sign_in(auth, "correct horse", "  Zoe  ").coach == "Zoe"
    assert coach_handlers.sign_in(auth, "correct horse", "").coach == "coach"
    for wrong in ("wrong", "", None, "correct horse "):
        refused = coach_handlers.sign_in(auth, wrong, "Zoe")
        assert refused.coach is None and refused.status.startswith("⚠️")
    assert CoachAuth().by_password("", "x") is None and CoachAuth().by_password("anything", "x") is None

    calls = []

    def orgs(token: str) -> set[str]:
        calls.append(token)
        if token == "expired":
            raise RuntimeError("401")
        return {"acme-coaches"} if token == "member" else {"other-org"}

    org = CoachAuth(org="acme-coaches", org_lookup=orgs)
    assert org.by_password("anything", "x") is None  # no password set: none accepted
    assert coach_handlers.sign_in_hf(org, "member", "zoe").coach == "hf:zoe"
    assert coach_handlers.sign_in_hf(org, "outsider", "bob").coach is None
    assert coach_handlers.sign_in_hf(org, "expired", "bob").coach is None  # the Hub failing means no coach
    assert coach_handlers.sign_in_hf(org, None, None).coach is None
    assert calls == ["member", "outsider", "expired"]


def test_coach_handlers_refuse_without_a_coach_and_work_with_one(seeded) -> None:
    store, ids = seeded
    review = Review(store)
    no = [coach_handlers.search(review, None, "", "", "", "", "", None, None, "newest"),
          coach_handlers.open_session(review, None, ids["s1"]),
          coach_handlers.open_turn(review, None, ids["s1"], ids["turns"][0]),
          coach_handlers.save_override(review, None, ids["s1"], ids["turns"][0], ids["turns"][0], [], "n", "5", []),
          coach_handlers.export_session(review, None, ids["s1"], "md"),
          coach_handlers.export_matching(review, None, "", "", "", "", "", None, None, "newest", "csv")]
    for view in no:
        assert view.status == "⚠️ Sign in as a coach first." and view.table is None and view.transcript is None
        assert view.file is None and view.turn is None
    opened = coach_handlers.open_session(review, "Zoe", ids["s1"])
    assert escape_markdown("CBOW predicts the centre word.") in opened.transcript and len(opened.turns) == 2
    form = coach_handlers.open_turn(review, "Zoe", ids["s1"], ids["turns"][0]).form
    point_ids = [p.point_id for p in form.points]
    assert point_ids == ["cbow", "skipgram", "rare-words", "speed"]
    chosen = [p.value for p in form.points]
    chosen[2] = "covered"  # the coach's dropdown for rare-words (the AI said partial)
    saved = coach_handlers.save_override(review, "Zoe", ids["s1"], ids["turns"][0], form.turn_id, point_ids,
                                         "Say more about speed.", "", chosen)
    assert saved.status.startswith("Saved") and escape_markdown("Say more about speed.") in saved.transcript
    assert store.session_record(ids["s1"])["turns"][0]["override"]["points"] == {"rare-words": "covered"}
    assert [p.value for p in saved.form.points] == ["covered", "missing", "covered", "covered"]
    assert saved.form.note == "" and saved.form.score == ""  # the saved review shows above, not in the form
