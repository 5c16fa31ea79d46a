"""Dev tool: would the cap on an answer to another question catch a right answer in the candidate's own words?

    python -m devtools.placement [--stories S] [--voice V | --no-exemption] [--json]

The claim grader caps an answer whose sentences sit nearer another bank question's profile than its own
(`Limits.elsewhere_margin`, bot/profiles.py). A question's profile holds its model answer's sentences, so the bank's
model answers are never capped; a candidate's right answer in other words, or about another piece of work, might be.
This grades each model answer of at least `Limits.elsewhere_words` words as the app does, against profiles in which its
own question's profile leaves that model answer out: the model answer then stands for such a candidate. It prints, by
question category, how many are capped and their mean score. The bank's model answers are the project's own text, not
measuring data (docs/grading.md, session 23). `--stories S`, `--voice V`: `Limits.elsewhere_stories` and
`elsewhere_story_voice` instead of the app's; `--no-exemption`: both None, answers to behavioral questions capped as
any other (the app until session 23).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import replace

import click

from bot.assessor import Assessor
from bot.grading.claim_grader import ELSEWHERE, ClaimGrader
from bot.profiles import QuestionProfiles
from bot.services import build_assessor, build_embedder
from bot.settings import Settings

CAPPED = ELSEWHERE.split("\"", 1)[0]  # the notice's fixed opening


def placements(assessor: Assessor, ids: list[str] | None = None, **limits: float | None) -> dict[str, dict]:
    """{category: {n, capped, mean_score, capped_ids}} over the bank's model answers (those of `ids`, or all), each
    placed without itself; `limits`: the claim grader's Limits to change for the run."""
    grader, corpus, vectors = assessor.grader, assessor.corpus, assessor.index.vectors
    if not isinstance(grader, ClaimGrader):
        raise click.ClickException("The claim grader is not the offline grader here (BOT_OFFLINE_GRADER, or its weights "
                                   "are missing): there is no cap to measure.")
    full, kept = vectors.profiles, grader.limits
    model = getattr(vectors, "embedder", vectors)
    bare = QuestionProfiles.build(corpus, model.embed, model_answers=False)
    out: dict[str, dict] = defaultdict(lambda: {"n": 0, "capped": 0, "scores": [], "capped_ids": []})
    try:
        grader.limits = replace(kept, **limits)
        for qid in ids or full.ids:
            question, rubric = corpus.questions[qid], corpus.rubrics[qid]
            if question.options or len(rubric.model_answer.split()) < grader.limits.elsewhere_words:
                continue
            vectors.profiles = full.with_row(qid, bare)
            grade = grader.grade(question, rubric.expected_points(question.level), rubric.model_answer)
            row = out[str(question.category)]
            row["n"] += 1
            row["scores"].append(grade.score)
            if any(n.startswith(CAPPED) for n in grade.notices):
                row["capped"] += 1
                row["capped_ids"].append(qid)
    finally:
        vectors.profiles, grader.limits = full, kept
    return {cat: {"n": r["n"], "capped": r["capped"], "mean_score": round(sum(r["scores"]) / r["n"], 2),
                  "capped_ids": r["capped_ids"]} for cat, r in sorted(out.items())}


@click.command()
@click.option("--stories", type=float, default=None,
              help="Limits.elsewhere_stories for this run (0: behavioral questions never capped); default the app's.")
@click.option("--voice", type=float, default=None,
              help="Limits.elsewhere_story_voice for this run; default the app's.")
@click.option("--no-exemption", is_flag=True, help="Answers to behavioral questions capped as any other (session 22).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def main(stories: float | None, voice: float | None, no_exemption: bool, as_json: bool) -> None:
    """The bank's model answers, each placed against profiles that leave it out: how many the cap catches."""
    settings = Settings.from_env()
    assessor = build_assessor(settings, embedder=build_embedder(settings), llm=False)
    limits = {k: v for k, v in (("elsewhere_stories", stories), ("elsewhere_story_voice", voice)) if v is not None}
    figures = placements(assessor, **({"elsewhere_stories": None, "elsewhere_story_voice": None} if no_exemption
                                      else limits))
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo("| category | model answers | capped | mean score |\n|---|---|---|---|")
    for cat, r in figures.items():
        click.echo(f"| {cat} | {r['n']} | {r['capped']} | {r['mean_score']:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
