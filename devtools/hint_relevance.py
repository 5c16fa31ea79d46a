"""Dev tool: how often a "related idea from another question" hint is related, by its cosine.

    python -m devtools.hint_relevance [ANSWERS.jsonl] [--json]

Answers each open question of the bank with its model answer, whole and cut in half (and, given a
JSONL of answers with `question_id` and `answer`, e.g. devtools/data/choosing_answers.jsonl, with
those too; not a measuring set: the bar is chosen from this table), takes the hints the index returns (RubricIndex.retrieve) and counts a hint as
*related* when its question shares a topic with the question asked. It prints, per cosine band,
how many hints fall there and the share related, and for each bar the share related among the hints
at or above it. The feedback shows hints only at or above HINT_MIN_SIMILARITY (bot/ui/feedback.py),
the bar chosen from this table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.corpus import Corpus
from bot.index import RubricIndex
from bot.services import build_assessor
from bot.settings import Settings
from bot.text import sentences

BANDS = [round(0.30 + 0.05 * i, 2) for i in range(12)]  # 0.30 .. 0.85


def answers(corpus: Corpus, extra: Path | None) -> list[tuple[str, str]]:
    """(question id, answer) pairs: model answers whole and halved, plus any from `extra`."""
    out = []
    for qid, q in sorted(corpus.questions.items()):
        if q.options:
            continue
        model = corpus.rubrics[qid].model_answer
        parts = sentences(model)
        out += [(qid, model), (qid, " ".join(parts[: max(1, len(parts) // 2)]))]
    if extra is not None:
        for line in extra.read_text().splitlines():
            row = json.loads(line)
            if row["question_id"] in corpus.questions:
                out.append((row["question_id"], row["answer"]))
    return out


def measure(corpus: Corpus, index: RubricIndex, pairs: list[tuple[str, str]]) -> list[tuple[float, bool]]:
    """(cosine, related) for every hint returned for every answer."""
    found = []
    for qid, answer in pairs:
        question = corpus.questions[qid]
        points = corpus.rubrics[qid].points
        for hint in index.retrieve(question, points, sentences(answer)).hints:
            shared = set(corpus.questions[hint.question_id].topics) & set(question.topics)
            found.append((hint.similarity, bool(shared)))
    return found


def table(found: list[tuple[float, bool]]) -> list[dict]:
    rows = []
    for lo in BANDS:
        band = [r for s, r in found if lo <= s < lo + 0.05]
        above = [r for s, r in found if s >= lo]
        rows.append({"from": lo, "hints": len(band), "related": round(sum(band) / len(band), 3) if band else None,
                     "at_or_above": len(above),
                     "related_at_or_above": round(sum(above) / len(above), 3) if above else None})
    return rows


def main(argv: list[str]) -> None:
    as_json = "--json" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")]
    settings = Settings.from_env()
    assessor = build_assessor(settings)
    pairs = answers(assessor.corpus, paths[0] if paths else None)
    found = measure(assessor.corpus, assessor.index, pairs)
    rows = table(found)
    if as_json:
        print(json.dumps({"answers": len(pairs), "hints": len(found), "bands": rows}))
        return
    print(f"{len(pairs)} answers, {len(found)} hints; related = the hint's question shares a topic")
    print("cosine from | hints | related | hints at or above | related at or above")
    for r in rows:
        print(f"{r['from']:.2f} | {r['hints']} | {r['related']} | {r['at_or_above']} | {r['related_at_or_above']}")


if __name__ == "__main__":
    main(sys.argv[1:])
