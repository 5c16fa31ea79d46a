"""Dev tool: every choosing set read once, each decision rule's figures per set, over all, and by question category.

    python -m devtools.choosing [--rule NAMES] [--sets NAMES] [--json]

The choosing sets (devtools/data/choosing_answers*.jsonl, its README) are read as one set by `python -m bot eval --rule`
(devtools/rules.py: each answer read by the checker once for every rule); this prints, for each rule, what that command
gives over all of them, each set's own Pearson and MAE (the same as `eval` on that file alone), and the mean predicted
score by style within each question category (behavioral, concept, ...), beside the raters'. Session 34 found the
behavioral questions' vague, off-topic and wrong answers scored far above their raters' (docs/grading.md); the dev
split holds too few behavioral questions to show it. The figures are for choosing; none is a measuring set.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import click
import numpy as np

from bot.settings import Settings
from devtools.evaluation import Record, agreement, load_records

DATA = Path(__file__).with_name("data")
# every choosing set, oldest first: a set's name carries the session that made it, so name order is session order
SETS = tuple(sorted(p.name for p in DATA.glob("choosing_answers*.jsonl")))


def figures(records: list[Record], sets: list[str], categories: list[str], predicted: np.ndarray) -> dict:
    """One rule's figures (`eval`'s agreement, 0-10): over all records, per set (`sets[i]` is record i's file), and per
    category and style the mean predicted and reference scores; `below_7`: excellent and spoken answers below 7."""
    reference = np.array([10 * r.score / r.score_max for r in records])
    style = np.array([r.style or "" for r in records])
    sets_, categories_ = np.array(sets), np.array(categories)
    out = {"all": agreement(predicted, reference, 10),
           "below_7": int((np.isin(style, ["excellent", "spoken"]) & (predicted < 7)).sum()),
           "sets": {s: agreement(predicted[sets_ == s], reference[sets_ == s], 10) for s in dict.fromkeys(sets)}}
    by: dict[str, dict] = defaultdict(dict)
    for c in sorted(set(categories)):
        for s in sorted(set(style[categories_ == c])):
            m = (categories_ == c) & (style == s)
            by[c][s] = {"n": int(m.sum()), "predicted_mean": round(float(predicted[m].mean()), 2),
                        "reference_mean": round(float(reference[m].mean()), 2)}
    out["by_category"] = dict(by)
    return out


@click.command()
@click.option("--rule", "rules", default="shipped", show_default=True,
              help="Decision rules, comma-separated, as `eval --rule` takes them.")
@click.option("--sets", "names", default=",".join(SETS), show_default=True,
              help="Which files of devtools/data, comma-separated.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def main(rules: str, names: str, as_json: bool) -> None:
    """Each rule's figures on the choosing sets: over all, per set, and by question category and style."""
    from bot.cli_support import settings_and_corpus
    from devtools.rules import rule_names, run_rules

    chosen, paths = rule_names(rules), [DATA / n for n in names.split(",")]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise click.ClickException(f"No such choosing set: {', '.join(missing)}.")
    _, corpus = settings_and_corpus()
    records, sets = [], []
    for p in paths:
        mine = load_records(p)
        records += mine
        sets += [p.name] * len(mine)
    categories = [corpus.questions[r.question_id].category.value for r in records]
    read = run_rules(Settings.from_env(), paths, chosen, predictions=True)["rules"]
    out = {name: figures(records, sets, categories, np.array(read[name]["predicted"])) for name in chosen}
    if as_json:
        click.echo(json.dumps(out))
        return
    for name, f in out.items():
        click.echo(f"{name}: all {f['all']['pearson']:.4f} / {f['all']['mae']:.4f}, excellent+spoken below 7: "
                   f"{f['below_7']}")
        for s, a in f["sets"].items():
            click.echo(f"  {s}: {a['pearson']:.4f} / {a['mae']:.4f}")
        for c, styles in f["by_category"].items():
            click.echo(f"  {c}: " + ", ".join(f"{s} {v['predicted_mean']:.2f} ({v['reference_mean']:.2f})"
                                              for s, v in styles.items()))


if __name__ == "__main__":
    sys.exit(main())
