"""A candidate's progress from their stored sessions: pure functions, no database, no UI.

Every figure uses the *final* score and point verdicts of a turn and counts a point as missed
as bot/records.py defines them (the end-of-session summary reads the same definitions).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.corpus import Corpus
from bot.records import average, final_points, final_score, is_missed, overridden


@dataclass(frozen=True)
class Progress:
    sessions: list[dict]  # session_id, started_at, role, level, answered, average
    turns: list[dict]  # n, session_id, started_at, turn_number, question_id, kind, score
    topics: list[dict]  # topic, answered, average — weakest first
    categories: list[dict]  # category, answered, average — weakest first
    missed: list[dict]  # point, missed, asked — most often missed first
    overridden: int  # graded turns whose score a coach replaced

    def weak_topics(self, count: int = 3) -> list[str]:
        return [t["topic"] for t in self.topics[:count]]


def _mean(values: list[float]) -> float:
    return average(values)  # type: ignore[return-value]  (never called without values)


def _weakest_first(groups: dict[str, list[float]], key: str) -> list[dict]:
    rows = [{key: name, "answered": len(scores), "average": _mean(scores)} for name, scores in groups.items()]
    return sorted(rows, key=lambda r: (r["average"], -r["answered"], r[key]))


def compute(records: list[dict], corpus: Corpus) -> Progress:
    """Figures over `records` (SessionStore.session_records), taken in order of start time."""
    sessions, turns, n_overridden = [], [], 0
    by_topic: dict[str, list[float]] = {}
    by_category: dict[str, list[float]] = {}
    missed: dict[str, list[int]] = {}  # point text -> [missed, asked]
    for record in sorted(records, key=lambda r: r["started_at"] or ""):
        scores = []
        for turn in record["turns"]:
            score = final_score(turn)
            if score is None:
                continue
            scores.append(score)
            n_overridden += overridden(turn)
            turns.append({"n": len(turns) + 1, "session_id": record["session_id"],
                          "started_at": record["started_at"], "turn_number": turn["turn_number"],
                          "question_id": turn["question_id"], "kind": turn["kind"], "score": score})
            question = corpus.questions.get(turn["question_id"])
            if question is not None:
                for topic in question.topics:
                    by_topic.setdefault(topic, []).append(score)
                by_category.setdefault(question.category.value, []).append(score)
            for point in final_points(turn):
                counts = missed.setdefault(point["text"], [0, 0])
                counts[0] += is_missed(point["verdict"])
                counts[1] += 1
        if scores:
            sessions.append({"session_id": record["session_id"], "started_at": record["started_at"],
                             "role": record["role"], "level": record["level"], "answered": len(scores),
                             "average": _mean(scores)})
    often = [{"point": text, "missed": m, "asked": a} for text, (m, a) in missed.items() if m]
    often.sort(key=lambda r: (-r["missed"], -r["missed"] / r["asked"], r["point"]))
    return Progress(sessions, turns, _weakest_first(by_topic, "topic"),
                    _weakest_first(by_category, "category"), often, n_overridden)
