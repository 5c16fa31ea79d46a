"""A crash: SIGKILL the app while answers are in flight, restart it on the same database, lose nothing.

Session state in the app is only ids in gr.State (server memory, per browser tab); everything
else is in SQLite. After a restart a reconnecting client has no session id, so the candidate
presses Start and gets a new session; their earlier sessions stay in the database, and the
service itself can still carry an old session on from the database alone.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.services import build_interview
from bot.text import clean_answer
from devtools.appserver import AppServer
from devtools.loadtest import (
    CandidateRun,
    Deadline,
    answer_for,
    call,
    check_database,
    connect,
    message_text,
    question_in,
)

CANDIDATES = 6
KILL_AFTER = 8  # answers confirmed to the clients before the kill


@pytest.mark.server
def test_sigkill_mid_run_loses_no_confirmed_answer(tmp_path: Path, shared_cache: Path, corpus, embedder,
                                                    settings) -> None:
    data = tmp_path / "app"
    first, second = AppServer(data, cache_dir=shared_cache), AppServer(data, cache_dir=shared_cache)
    runs = [CandidateRun(i, f"crash-{i}", "embedding-engineer", "mid") for i in range(CANDIDATES)]
    lock, killed, deadline = threading.Lock(), threading.Event(), Deadline(240)
    in_flight = 0

    def candidate(run: CandidateRun) -> None:
        nonlocal in_flight
        client = connect(url)
        try:
            out, _ = call(client, deadline, "/start", run.name, run.role, run.level)
            while not killed.is_set():
                question = question_in(corpus, message_text(out["chat"][-1]))
                assert question is not None
                answer = answer_for(corpus, question, run.number + len(run.confirmed))
                with lock:
                    in_flight += 1
                try:
                    call(client, deadline, "/submit", answer)
                finally:
                    with lock:
                        in_flight -= 1
                with lock:
                    if not killed.is_set():  # returned before the kill: it must survive it
                        run.confirmed.append((question.id, clean_answer(answer)))
                out, _ = call(client, deadline, "/next_question")
        except Exception as exc:  # after the kill every call fails; before it, none may
            if not killed.is_set():
                run.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    try:
        url = first.start()
        threads = [threading.Thread(target=candidate, args=(r,), daemon=True) for r in runs]
        for t in threads:
            t.start()
        while deadline.left() > 0:
            with lock:
                if sum(len(r.confirmed) for r in runs) >= KILL_AFTER and in_flight:
                    killed.set()
                    first.kill()  # SIGKILL with submits in flight
                    caught_in_flight = in_flight
                    break
            time.sleep(0.01)
        assert killed.is_set(), f"no kill: {[r.errors for r in runs]}"
        for t in threads:
            t.join(timeout=60)
        assert not [e for r in runs for e in r.errors], [r.errors for r in runs]
    finally:
        first.kill()

    with sqlite3.connect(first.database) as db:  # opening replays the write-ahead log
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"

    try:
        url = second.start()
        kept = check_database(second.database, runs)
        assert kept["integrity"] == "ok"
        assert (kept["lost"], kept["duplicated"], kept["ungraded"]) == (0, 0, 0), kept
        assert caught_in_flight >= 1 and sum(len(r.confirmed) for r in runs) >= KILL_AFTER

        # The same candidate carries on: a reconnecting client starts a new session and is graded.
        name = runs[0].name
        client = connect(url)
        again = Deadline(120)
        out, _ = call(client, again, "/start", name, "embedding-engineer", "mid")
        question = question_in(corpus, message_text(out["chat"][-1]))
        assert question is not None
        out, _ = call(client, again, "/submit", corpus.rubrics[question.id].model_answer)
        assert "/ 10" in out["score"]
        call(client, again, "/next_question")
        client.close()
    finally:
        second.stop()

    with sqlite3.connect(second.database) as db:
        sessions = [sid for (sid,) in db.execute(
            "select id from sessions where candidate = ? order by started_at", [name])]
        answered = db.execute("select count(*) from turns t join grades g on g.turn_id = t.id "
                              "where t.session_id = ?", [sessions[-1]]).fetchone()[0]
    assert len(sessions) == 2 and answered == 1

    # The interrupted session itself can go on from the database alone (no state was in the process).
    interview = build_interview(replace(settings, db_path=second.database), embedder=embedder)
    before = [t["question_id"] for t in interview.store.turns(sessions[0])]
    resumed = interview.next_question(sessions[0])
    assert resumed is not None and resumed.question.id not in before
