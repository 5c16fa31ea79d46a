"""Dev tool: where the offline grader's point verdicts part from the raters', and why it misses points they found.

    python -m devtools.misses [--sets NAMES] [--styles excellent] [--json]

Every answer of the choosing sets (devtools/data/choosing_answers*.jsonl; never a measuring set) is graded the app's
way (`eval`'s `predict_app`), and each point's verdict set beside the two raters' (`rater_points`): per style, how
many points fall in each (raters, app) cell and what the cell does to the answer's score, counted as the points'
credit difference (covered 1, partial 1/2; incorrect 0, as `eval`'s point figures count it) times the point's share of
its rubric's weight, on a 0-10 scale (before the blend with the rubric grader, the 85% scale and the penalties).

Then, for the answers of `--styles`, each point both raters found covered and the app calls missing is read again
against every span of the answer (as many as there are, whatever their likeness to the point) and put in one of three
kinds: `further`, a span the app does not read states it (P(entails) at the covered threshold; the app reads only a
point's nearest spans); `near`, its best span reads between the partial and covered thresholds; `unrecognised`, no
span reads even partial: the checker does not recognise the point as said, wherever it looks (session 46,
docs/grading.md).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import replace

import click
import numpy as np

from devtools.choosing import DATA, SETS
from devtools.evaluation import CREDIT, Record, bank_question, load_records, predict_app, raters_said

KINDS = ("further", "near", "unrecognised")


def consensus(rated: tuple[str, ...]) -> str:
    """The raters' verdict on a point: "covered", "partial" or "missing" where they agree on it (incorrect counts as
    missing, as on the raters' scale), "partial" where one says covered and the other partial, else "mixed"."""
    said = raters_said(rated)
    if len(said) == 1:
        return said.pop()
    return "partial" if said == {"covered", "partial"} else "mixed"


def confusion(records: list[Record], verdicts: list[dict[str, str]], weights: list[dict[str, float]]) -> dict:
    """Per style: the answers, and per "raters -> app" cell where the two differ, its points and the mean change it
    makes to an answer's 0-10 score (see the module's note)."""
    answers: Counter = Counter()
    cells: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r, given, w in zip(records, verdicts, weights, strict=True):
        if not given:
            continue
        answers[r.style] += 1
        total = sum(w.values())
        for pid, rated in r.rater_points:
            if pid not in given:
                continue
            raters, app = consensus(rated), given[pid]
            if raters == ("missing" if app == "incorrect" else app):
                continue
            rater_credit = float(np.mean([CREDIT.get(x, 0.0) for x in rated]))
            cells[r.style][f"{raters} -> {app}"].append((CREDIT[app] - rater_credit) * w[pid] / total * 10)
    return {style: {"answers": answers[style],
                    "cells": {c: {"points": len(v), "score": round(sum(v) / answers[style], 3)}
                              for c, v in sorted(cells[style].items(), key=lambda kv: sum(kv[1]))}}
            for style in answers}


@contextmanager
def every_span(grader):
    """The grader reading every span of an answer for a point not covered at its nearest (restored afterwards)."""
    kept = grader.limits
    grader.limits = replace(kept, spans_share=1.0, min_similarity=-1.0)
    try:
        yield grader
    finally:
        grader.limits = kept


def thresholds(grader) -> tuple[float, float]:
    """The P(entails) at which the app calls a point covered, and partial."""
    t = grader.decision_thresholds()
    return t.covered, t.partial


def best_readings(grader, question, points, answer: str, ids: set[str]) -> dict[str, float]:
    """For the points `ids`: the highest P(entails) of any span of the answer (read with `every_span`)."""
    with every_span(grader):
        m = grader.measure(question, points, [], answer)
    return {p.id: (r.ent if r.cued is None else 1.0) for p, r in zip(points, m.readings, strict=True) if p.id in ids}


def kind(ent: float, covered: float, partial: float) -> str:
    return "further" if ent >= covered else ("near" if ent >= partial else "unrecognised")


def misses(assessor, records: list[Record], verdicts: list[dict[str, str]], styles: set[str]) -> dict:
    """Per style of `styles`: the points both raters found covered that the app calls missing, by kind."""
    from bot.text import clean_answer

    grader = assessor.grader
    covered, partial = thresholds(grader)
    out: dict[str, Counter] = {s: Counter({k: 0 for k in KINDS}) for s in sorted(styles)}
    for r, given in zip(records, verdicts, strict=True):
        if r.style not in styles or not given:
            continue
        ids = {pid for pid, rated in r.rater_points if consensus(rated) == "covered" and given.get(pid) == "missing"}
        if not ids:
            continue
        question = bank_question(assessor.corpus, r)
        points = assessor.corpus.rubrics[question.id].expected_points(question.level)
        for ent in best_readings(grader, question, points, clean_answer(r.answer), ids).values():
            out[r.style][kind(ent, covered, partial)] += 1
    return {s: dict(c) for s, c in out.items()}


@click.command()
@click.option("--sets", "names", default=",".join(SETS), show_default="every choosing set",
              help="Comma-separated choosing sets (file names in devtools/data).")
@click.option("--styles", default="excellent", show_default=True,
              help="Comma-separated styles whose missed points are read again against every span.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def main(names: str, styles: str, as_json: bool) -> None:
    """Point verdicts against the raters' on the choosing sets, and why the app misses points they found."""
    from bot.grading.rubric import RubricGrader
    from bot.services import build_assessor, build_embedder
    from bot.settings import Settings

    paths = [DATA / n for n in names.split(",")]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise click.ClickException(f"No such choosing set: {', '.join(missing)}.")
    records = [r for p in paths for r in load_records(p) if r.rater_points]
    settings = Settings.from_env()
    embedder = build_embedder(settings)
    assessor = build_assessor(settings, embedder=embedder)
    # a record on a reworded question is graded as another source's, against the rubric it was rated on: no verdicts
    _, _, verdicts = predict_app(assessor, RubricGrader(embedder), records)
    weights = [{p.id: p.weight for p in assessor.corpus.rubrics[q.id].expected_points(q.level)} if q else {}
               for q in (bank_question(assessor.corpus, r) for r in records)]
    out = {"confusion": confusion(records, verdicts, weights),
           "misses": misses(assessor, records, verdicts, {s for s in styles.split(",") if s})}
    if as_json:
        click.echo(json.dumps(out))
        return
    for style, f in out["confusion"].items():
        click.echo(f"{style} ({f['answers']} answers): " + ", ".join(
            f"{c} {v['points']} ({v['score']:+.2f})" for c, v in f["cells"].items()))
    for style, c in out["misses"].items():
        click.echo(f"{style}, points the raters found and the app missed: " + ", ".join(f"{k} {n}" for k, n in c.items()))


if __name__ == "__main__":
    main()
