"""Concurrent writers (Gradio's worker threads) wait for the lock instead of failing."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.grading import Grade
from bot.store import SessionStore


def test_concurrent_sessions_write_without_database_is_locked(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    grade = Grade(score=5.0, points=[], grader="rubric")
    errors: list[str] = []
    sessions: list[str] = []
    go = threading.Barrier(8)

    def candidate(i: int) -> None:
        try:
            go.wait()
            session = store.create_session(f"c{i}", "embedding-engineer", "mid", "rubric", {})
            sessions.append(session)
            for n in range(15):
                turn = store.add_turn(session, f"q{n}", "question")  # reads the count, then writes
                store.save_answer(turn, f"answer {i}-{n}")
                store.save_grade(turn, grade, [], 1.0)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=candidate, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for session in sessions:
        assert [t["seq"] for t in store.turns(session)] == list(range(1, 16))


def test_an_operation_that_raises_mid_transaction_leaves_no_write_lock(tmp_path: Path, monkeypatch) -> None:
    """The thread's connection is kept between operations; one that raised with a write transaction open
    (not a SQLite error: the connection stays) must not keep the lock from every other connection."""
    import bot.store

    store = SessionStore(tmp_path / "s.db")
    session = store.create_session("a", "embedding-engineer", "mid", "rubric", {})

    class Interrupted(Exception):
        pass

    try:
        with store._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE sessions SET candidate = 'b' WHERE id = ?", [session])
            raise Interrupted
    except Interrupted:
        pass

    monkeypatch.setattr(bot.store, "BUSY_TIMEOUT_S", 0.2)  # a lock still held fails fast, not in 10 s
    other = SessionStore(tmp_path / "s.db")
    done: list[str] = []
    thread = threading.Thread(target=lambda: done.append(other.create_session("c", "embedding-engineer",
                                                                               "mid", "rubric", {})))
    thread.start()
    thread.join()
    assert len(done) == 1  # the other connection wrote
    assert store.session(session)["candidate"] == "a"  # and the interrupted change was rolled back
