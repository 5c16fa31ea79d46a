"""A candidate's progress from their stored sessions: pure functions, no database, no UI.

Every figure uses the *final* score of a turn: a coach's override when there is one, else
the AI grade; a coach's point verdicts likewise replace the AI's for the points they name.
A point counts as missed when it was not fully covered (partial or missing), as in the
end-of-session summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.corpus import Corpus


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


def final_points(turn: dict) -> list[dict]:
    """The AI's point verdicts with the coach's replacements applied."""
    grade, override = turn.get("grade"), turn.get("override")
    if grade is None:
        return []
    replaced = (override or {}).get("points") or {}
    return [{**p, "verdict": replaced.get(p["point_id"], p["verdict"])} for p in grade["points"]]


def final_score(turn: dict) -> float | None:
    grade, override = turn.get("grade"), turn.get("override")
    if grade is None:
        return None
    if override and override.get("score") is not None:
        return float(override["score"])
    return float(grade["score"])


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2)


def _weakest_first(groups: dict[str, list[float]], key: str) -> list[dict]:
    rows = [{key: name, "answered": len(scores), "average": _mean(scores)} for name, scores in groups.items()]
    return sorted(rows, key=lambda r: (r["average"], -r["answered"], r[key]))


def compute(records: list[dict], corpus: Corpus) -> Progress:
    """Figures over `records` (SessionStore.session_records), taken in order of start time."""
    sessions, turns, overridden = [], [], 0
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
            overridden += bool(turn["override"] and turn["override"].get("score") is not None)
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
                counts[0] += point["verdict"] != "covered"
                counts[1] += 1
        if scores:
            sessions.append({"session_id": record["session_id"], "started_at": record["started_at"],
                             "role": record["role"], "level": record["level"], "answered": len(scores),
                             "average": _mean(scores)})
    often = [{"point": text, "missed": m, "asked": a} for text, (m, a) in missed.items() if m]
    often.sort(key=lambda r: (-r["missed"], -r["missed"] / r["asked"], r["point"]))
    return Progress(sessions, turns, _weakest_first(by_topic, "topic"),
                    _weakest_first(by_category, "category"), often, overridden)
