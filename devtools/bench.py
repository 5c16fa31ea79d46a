"""`python -m bot bench`: time each stage of the offline path on the corpus's model answers."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bot.corpus import Level
from bot.services import build_assessor, build_offline_grader, limit_threads
from bot.settings import Settings
from bot.store import SessionStore
from bot.text import sentences


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def cold_start_s(settings: Settings) -> float:
    """Seconds from launching a fresh Python process to its first question (index cached)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "first-question"], check=True, capture_output=True,
                   env={**os.environ, "BOT_DATA_DIR": str(settings.data_dir),
                        "BOT_DB_PATH": str(settings.data_dir / "bench.db")})
    return round(time.perf_counter() - started, 2)


def run_bench(settings: Settings, count: int) -> dict:
    limit_threads(settings.threads_per_request)  # as the app runs: one thread per request
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(settings, data_dir=Path(tmp), db_path=None, cache_dir=None)
        assessor = build_assessor(settings)  # builds and caches the index for the cold start below
        grader = build_offline_grader(assessor.index.vectors, assessor.corpus,
                                      settings.offline_grader, settings.precision,
                                      settings.claim_checker, settings.claim_ensemble)  # as the app grades
        store = SessionStore(Path(tmp) / "bench.db")
        session = store.create_session("bench", "bench", "mid", grader.kind, {})
        questions = [q for q in assessor.corpus.questions.values() if not q.options]
        count = min(count, len(questions))
        timings: dict[str, list[float]] = {"retrieve": [], "grade": [], "store": []}
        words: list[int] = []
        for i in range(count):
            q = questions[i % len(questions)]
            answer = assessor.corpus.rubrics[q.id].model_answer  # each question once: no cached sentences
            points = assessor.corpus.rubrics[q.id].expected_points(Level.expert)
            words.append(len(answer.split()))

            t0 = time.perf_counter()
            grade = grader.grade(q, points, answer)  # a new answer: its sentences are embedded here
            t1 = time.perf_counter()
            sents = sentences(answer)
            t3 = time.perf_counter()
            assessor.index.retrieve(q, points, sents)  # sentence vectors are cached: retrieval alone
            t4 = time.perf_counter()
            turn = store.add_turn(session, q.id, q.text)
            store.save_answer(turn, answer)
            store.save_grade(turn, grade, [], (t1 - t0) * 1000)
            t5 = time.perf_counter()
            for key, (a, b) in {"grade": (t0, t1), "retrieve": (t3, t4), "store": (t4, t5)}.items():
                timings[key].append((b - a) * 1000)

        figures: dict = {"answers": count, "answer_words_p50": int(statistics.median(words))}
        for key, samples in timings.items():
            figures[f"{key}_p50_ms"] = _pct(samples, 0.5)
            figures[f"{key}_p95_ms"] = _pct(samples, 0.95)
        figures["cold_start_s"] = cold_start_s(settings)
        return figures
