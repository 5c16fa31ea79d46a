"""`python -m bot loadtest`: concurrent candidates against the real app, then a check of the database.

Each candidate is a `gradio_client` connection of its own (its own gr.State): start, then
`submit` and `next_question` in turn, answering with the corpus's model answers (whole or cut
in half, so some points are covered and some missed) or an option letter for multiple-choice
questions. Every call is bounded by one overall deadline. Afterwards the database must hold every
answer whose submit returned, exactly once, with exactly one grade.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.corpus import ROLES, Corpus, Level, Question, load_corpus
from bot.replies import reply
from bot.settings import Settings
from bot.text import clean_answer, sentences
from devtools.appserver import AppServer, AppServerError

P95_TARGET_MS = 2000.0


class LoadTestError(RuntimeError):
    """The load test could not run at all (the app did not start)."""


@dataclass
class CandidateRun:
    """What one simulated candidate did, as seen from the client."""

    number: int
    name: str
    role: str
    level: str
    confirmed: list[tuple[str, str]] = field(default_factory=list)  # (question id, answer) whose submit returned
    turn_ms: list[float] = field(default_factory=list)  # submit: answer sent -> feedback back
    ask_ms: list[float] = field(default_factory=list)  # start / next_question
    errors: list[str] = field(default_factory=list)


def message_text(message: dict) -> str:
    """A chat message's text: Gradio 6 sends content as a list of {"type": "text", "text": ...} parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def question_in(corpus: Corpus, message: str) -> Question | None:
    """The corpus question a chat message asks (the longest question text it contains)."""
    found = [q for q in corpus.questions.values() if q.text in message]
    return max(found, key=lambda q: len(q.text)) if found else None


def answer_for(corpus: Corpus, question: Question, variant: int) -> str:
    """A realistic answer: the model answer, or its first half; for multiple choice, a letter."""
    if question.options:
        correct = question.correct_option or 0
        pick = correct if variant % 2 == 0 else (correct + 1) % len(question.options)
        return "ABCDEFGH"[pick]
    model = corpus.rubrics[question.id].model_answer
    if variant % 2 == 0:
        return model
    parts = sentences(model)
    return " ".join(parts[: max(1, len(parts) // 2)])


def plan(sessions: int) -> list[CandidateRun]:
    """One candidate per session, cycling through every role and level."""
    combos = [(role, lv.value) for role in ROLES for lv in Level]
    return [CandidateRun(i, f"loadtest-{i:03d}", *combos[i % len(combos)]) for i in range(sessions)]


class Deadline:
    """One time limit shared by every request of a run."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()


def call(client: Any, deadline: Deadline, api_name: str, *args: Any) -> tuple[dict[str, Any], float]:
    """One request, timed, bounded by the deadline; the reply by output name (bot/replies.py).
    A non-empty status line counts as a failure."""
    if deadline.left() <= 0:
        raise TimeoutError(f"{api_name}: the overall time limit was reached before it was sent")
    started = time.perf_counter()
    job = client.submit(*args, api_name=api_name)
    try:
        out = job.result(timeout=deadline.left())
    except FutureTimeout:
        job.cancel()
        raise TimeoutError(f"{api_name}: no reply before the overall time limit") from None
    ms = (time.perf_counter() - started) * 1000
    named = reply(api_name, out)
    if named["status"]:
        raise RuntimeError(f"{api_name}: the app answered with a problem: {named['status']}")
    return named, ms


def connect(url: str) -> Any:
    """A client of its own (its own session and gr.State), no telemetry. Two client costs are
    taken out so the driver does not eat the CPU the app needs: httpx's default 5 s limit on
    posting a request (a browser has none; the overall deadline bounds waits instead), and
    loading the CA bundle for every request, pointless on plain http to 127.0.0.1."""
    from gradio_client import Client  # only the load test and the tests use the client, never the app

    return Client(url, verbose=False, download_files=False, analytics_enabled=False, ssl_verify=False,
                  httpx_kwargs={"timeout": 60.0})


def drive(url: str, corpus: Corpus, run: CandidateRun, turns: int, deadline: Deadline,
          ready: threading.Semaphore, go: threading.Event) -> CandidateRun:
    """One candidate: connect, wait for the others, start, then answer `turns` questions
    with the next question taken between them."""
    client = None
    try:
        try:
            client = connect(url)
        finally:
            ready.release()  # connected or failed: either way it no longer holds up the others
        go.wait(timeout=max(0.0, deadline.left()))  # every candidate starts together
        out, ms = call(client, deadline, "/start", run.name, run.role, run.level)
        run.ask_ms.append(ms)
        for t in range(turns):
            if t:
                out, ms = call(client, deadline, "/next_question")
                run.ask_ms.append(ms)
            asked = message_text(out["chat"][-1])
            question = question_in(corpus, asked)
            if question is None:
                raise RuntimeError(f"the question on screen is not in the corpus: {asked[:80]!r}")
            answer = answer_for(corpus, question, run.number + t)
            out, ms = call(client, deadline, "/submit", answer)
            if "/ 10" not in out["score"]:
                raise RuntimeError(f"/submit: no score came back ({out['score'][:80]!r})")
            run.turn_ms.append(ms)
            run.confirmed.append((question.id, clean_answer(answer)))
    except Exception as exc:  # a candidate's failure is a figure of the test, not a crash of it
        run.errors.append(f"{run.name}: {type(exc).__name__}: {exc} ({where(exc)})")
    finally:
        if client is not None:
            client.close()
    return run


def where(exc: BaseException) -> str:
    """file:line of the innermost frame, so an error sample says which call failed."""
    tb = exc.__traceback__
    while tb and tb.tb_next:
        tb = tb.tb_next
    return f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"


def check_database(db_path: Path, runs: list[CandidateRun]) -> dict:
    """Every confirmed answer stored exactly once, each with exactly one grade; integrity ok."""
    lost = duplicated = ungraded = 0
    grade_ms: list[float] = []
    with sqlite3.connect(db_path) as db:
        integrity = db.execute("pragma integrity_check").fetchone()[0]
        for run in runs:
            rows = db.execute(
                "select t.question_id, t.answer, count(g.id), max(g.grade_ms) from turns t "
                "join sessions s on s.id = t.session_id left join grades g on g.turn_id = t.id "
                "where s.candidate = ? and t.answer is not null group by t.id", [run.name]).fetchall()
            stored = Counter((qid, answer) for qid, answer, _, _ in rows)
            grades = {(qid, answer): n for qid, answer, n, _ in rows}
            for key in run.confirmed:
                lost += stored[key] == 0
                duplicated += stored[key] > 1
                ungraded += stored[key] > 0 and grades[key] != 1
            confirmed = set(run.confirmed)
            grade_ms += [ms for qid, answer, _, ms in rows if (qid, answer) in confirmed and ms is not None]
    return {"integrity": integrity, "lost": lost, "duplicated": duplicated, "ungraded": ungraded,
            "grade_ms": _summary(grade_ms)}


def _summary(samples: list[float]) -> dict:
    if not samples:
        return {"p50": None, "p95": None, "max": None}
    a = np.asarray(samples)
    return {"p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1),
            "max": round(float(a.max()), 1)}


def run_loadtest(settings: Settings, sessions: int, turns: int, *, port: int = 0, timeout_s: float = 300.0) -> dict:
    """Start the app on a fresh database, drive `sessions` candidates at once, check what was kept."""
    corpus = load_corpus(settings.corpus_dir, settings.rubrics_dir)
    started = time.monotonic()
    deadline = Deadline(timeout_s)
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
        server = AppServer(Path(tmp), port=port, cache_dir=settings.cache, start_timeout_s=max(1.0, timeout_s))
        try:
            url = server.start()
        except AppServerError as exc:
            raise LoadTestError(str(exc)) from None
        try:
            startup_s = time.monotonic() - started
            runs = plan(sessions)
            ready, go = threading.Semaphore(0), threading.Event()
            with ThreadPoolExecutor(max_workers=sessions) as pool:
                futures = [pool.submit(drive, url, corpus, run, turns, deadline, ready, go) for run in runs]
                for _ in runs:
                    ready.acquire(timeout=max(0.0, deadline.left()))
                cpu_before, client_cpu_before = server.cpu_s(), time.process_time()
                drive_started = time.monotonic()
                go.set()
                for f in futures:
                    f.result()
            drive_s = time.monotonic() - drive_started
            cpu_after, client_cpu_s = server.cpu_s(), time.process_time() - client_cpu_before
        finally:
            server.stop()  # every reply is in; the database is closed before it is read
        db = check_database(server.database, runs)
    turn_ms = [ms for r in runs for ms in r.turn_ms]
    errors = [e for r in runs for e in r.errors]
    done = sum(len(r.confirmed) for r in runs)
    app_cpu_ms = None if cpu_before is None or cpu_after is None or not done else (
        round((cpu_after - cpu_before) * 1000 / done, 1))
    ok = not errors and done == sessions * turns and db["integrity"] == "ok" and not (
        db["lost"] or db["duplicated"] or db["ungraded"])
    return {
        "ok": ok, "sessions": sessions, "turns_per_session": turns,
        "turns_done": done, "turns_expected": sessions * turns, "errors": len(errors), "error_samples": errors[:5],
        "turn_ms": _summary(turn_ms), "ask_ms": _summary([ms for r in runs for ms in r.ask_ms]),
        "p95_target_ms": P95_TARGET_MS,
        "grade_ms_server": db["grade_ms"],
        "lost": db["lost"], "duplicated": db["duplicated"], "ungraded": db["ungraded"],
        "integrity": db["integrity"],
        "startup_s": round(startup_s, 1), "drive_s": round(drive_s, 1),
        "turns_per_s": round(done / drive_s, 2) if drive_s else None,
        "app_cpu_ms_per_turn": app_cpu_ms,  # the app's CPU time over the run, per answer (start/next included)
        "client_cpu_ms_per_turn": round(client_cpu_s * 1000 / done, 1) if done else None,  # this driver's, same CPU
    }
