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
