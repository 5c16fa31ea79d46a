"""The coach desk can't mislead: sessions listed on sign-in (newest first, with status and mode), a
clicked row opens its session, the review form is rebuilt whenever the answer changes (and a form
filled in for another answer is never saved), verdicts are picked per point, and sign-out clears it."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from bot.coach import CoachAuth
from bot.records import turn_numbers
from bot.replies import COACH_VERDICTS
from bot.review import Review
from bot.store import SessionStore
from bot.ui import coach_handlers as ch
from tests.history_seed import seed

PASSWORD = "correct horse"


@pytest.fixture
def desk(tmp_path):
    store = SessionStore(tmp_path / "s.db")
    return store, Review(store), seed(store)


def overrides(store: SessionStore) -> int:
    with sqlite3.connect(store.path) as db:
        return db.execute("select count(*) from overrides").fetchone()[0]


def test_signing_in_lists_every_session_newest_first_with_status_and_mode(desk) -> None:
    store, review, ids = desk
    store.end_session(ids["s1"])
    signed = ch.sign_in(CoachAuth(password=PASSWORD), PASSWORD, "Zoe", None, review)
    assert signed.coach == "Zoe" and signed.view is not None
    table = signed.view.table
    assert signed.view.listed == [ids["s2"], ids["other"], ids["s1"]]  # newest first, without pressing Search
    started = ch.TABLE_HEADERS.index("started (UTC)")
    assert [row[started] for row in table] == ["2026-03-08 10:00", "2026-03-05 10:00", "2026-03-01 10:00"]
    status, mode = ch.TABLE_HEADERS.index("status"), ch.TABLE_HEADERS.index("mode")
    assert [row[status] for row in table] == ["unfinished", "unfinished", "finished"]
    assert {row[mode] for row in table} == {"practice"}  # sessions started in practice mode (and old ones) are practice
    assert "3 sessions, newest first" in signed.view.status

    # The wrong password lists nothing.
    refused = ch.sign_in(CoachAuth(password=PASSWORD), "wrong", "Zoe", None, review)
    assert refused.coach is None and refused.view is None

    # A mock interview shows as one.
    db = Database(store.path)
    db.table("sessions").update(ids["other"], {"mode": "interview"})
    db.conn.close()
    again = ch.sessions_on_open(review, "Zoe")
    assert [row[mode] for row in again.table] == ["practice", "interview", "practice"]
    assert ch.sessions_on_open(review, None).status == "⚠️ Sign in as a coach first."


def test_clicking_a_row_opens_that_session_even_in_a_resorted_table(desk) -> None:
    _, review, ids = desk
    listing = ch.sessions_on_open(review, "Zoe")
    last_row = listing.table[-1]  # the page may show the rows in another order: the row itself says which
    opened = ch.open_row(review, "Zoe", listing.listed, last_row)
    assert opened.session_id == ids["s1"] and "CBOW predicts the centre word" in opened.transcript.replace("\\", "")
    assert [label for label, _ in opened.turns][0].startswith("1. the text of emb-004")  # the question, not its id
    assert opened.form is not None and opened.form.turn_id is None  # no answer picked yet: no form
    stale = ch.open_row(review, "Zoe", [ids["s2"]], last_row)  # a row from an older listing
    assert stale.status.startswith("⚠️") and stale.session_id is None


def test_the_review_form_resets_whenever_the_answer_changes(desk) -> None:
    store, review, ids = desk
    first, second = ids["turns"][0], ids["turns"][1]  # session 1: emb-004, then emb-005
    one = ch.open_turn(review, "Zoe", ids["s1"], first)
    assert one.form.turn_id == first and one.form.note == "" and one.form.score == ""
    assert [(p.point_id, p.value) for p in one.form.points] == [
        ("cbow", "covered"), ("skipgram", "missing"), ("rare-words", "partial"), ("speed", "covered")]
    assert "AI: ◐ partial" in one.form.points[2].label

    # The coach types a note and a 7 for the first answer, then picks the second: a fresh form for it.
    two = ch.open_turn(review, "Zoe", ids["s1"], second)
    assert two.form.turn_id == second and two.form.note == "" and two.form.score == ""
    assert [(p.point_id, p.value) for p in two.form.points] == [("cost", "covered"), ("binary", "missing")]

    # A form built for the first answer, saved while the second is selected, is not saved anywhere.
    stale = ch.save_override(review, "Zoe", ids["s1"], second, first, ["cbow", "skipgram", "rare-words", "speed"],
                             "Someone else's note", "7", ["covered"] * 4)
    assert stale.status.startswith("⚠️ Nothing was saved") and overrides(store) == 0
    assert stale.form.turn_id == second and stale.form.note == "" and stale.form.score == ""

    # Saved for the right answer, the form comes back empty again and shows the verdicts as they now stand.
    saved = ch.save_override(review, "Zoe", ids["s1"], second, second, ["cost", "binary"], "Name the loss.", "7",
                             ["covered", "partial"])
    assert saved.status.startswith("Saved") and overrides(store) == 1
    assert saved.form.note == "" and saved.form.score == "" and [p.value for p in saved.form.points] == [
        "covered", "partial"]
    record = store.session_record(ids["s1"])
    assert record["turns"][1]["override"]["points"] == {"binary": "partial"} and record["turns"][0]["override"] is None
    # Back on the first answer: its own, still empty, form.
    back = ch.open_turn(review, "Zoe", ids["s1"], first)
    assert back.form.note == "" and back.form.score == "" and back.form.points[1].value == "missing"
    assert "No coach review yet" in back.turn and "Typed answer" in back.turn and back.audio is None


def test_verdicts_come_from_a_fixed_list_and_a_save_needs_a_picked_answer(desk) -> None:
    store, review, ids = desk
    assert [value for _, value in ch.VERDICT_CHOICES] == ["covered", "partial", "missing", "incorrect"]
    assert ch.MAX_POINTS == len(COACH_VERDICTS) >= 10  # the most points a rubric gives an answer today
    bad = ch.save_override(review, "Zoe", ids["s1"], ids["turns"][0], ids["turns"][0], ["cbow"], "", "", ["excellent"])
    assert "covered, partial, missing or incorrect" in bad.status and overrides(store) == 0
    unpicked = ch.save_override(review, "Zoe", ids["s1"], ids["turns"][0], None, [], "A note", "", [])
    assert unpicked.status == "⚠️ Pick the answer to review first." and overrides(store) == 0


def test_signing_out_clears_the_desk_and_the_coach(desk) -> None:
    _, review, ids = desk
    out = ch.sign_out()
    assert out.coach is None and out.status.startswith("Signed out")
    v = out.view
    assert v.table == [] and v.listed == [] and v.session_id == "" and v.transcript == "" and v.turns == []
    assert v.file == ""  # no download of the last export left on the page
    assert v.form is not None and v.form.turn_id is None  # the form is hidden and empty
    # Every handler then refuses, as for anyone who never signed in.
    assert ch.open_session(review, out.coach, ids["s1"]).status == "⚠️ Sign in as a coach first."
    assert ch.sessions_on_open(review, out.coach).table is None


def test_follow_ups_are_numbered_after_their_question() -> None:
    turns = [{"turn_id": 10, "turn_number": 1, "kind": "question", "parent_turn_id": None},
             {"turn_id": 11, "turn_number": 2, "kind": "follow_up", "parent_turn_id": 10},
             {"turn_id": 12, "turn_number": 3, "kind": "follow_up", "parent_turn_id": 11},
             {"turn_id": 13, "turn_number": 4, "kind": "question", "parent_turn_id": None}]
    assert turn_numbers(turns) == {10: "1", 11: "1a", 12: "1b", 13: "2"}
