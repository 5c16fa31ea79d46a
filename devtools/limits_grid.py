"""Dev tool: the claim grader's score constants chosen again, over a grid, by a rule written first.

    python -m devtools.limits_grid [CHOOSING.jsonl] [--check SYNTHETIC.jsonl] [--floor] [--json]

The constants (`Limits`: P(contradicts) at which a point is incorrect, the rubric grader's share of
the score, the share of the marks that is a 10, and what an incorrect point costs) were chosen in
session 8 for an earlier checker and decision. This reads every answer of the choosing set
(devtools/data/choosing_answers.jsonl by default; never a measuring set) once and scores it with
each combination of `rules.GRID` over the shipped decision (`eval --rule grid`), then applies the
rule written down in session 16 before any of it was measured (docs/grading.md):

- the choice: among combinations with Pearson at most 0.005 below the app's, excellent answers'
  mean 8.60 or more with at most 3 below 7, and wrong answers' mean 2.75 or less, the lowest MAE;
- adopted only if its MAE is at least 0.05 below the app's; the same choice made on each half of
  the questions (seeded) gives, on the other half, a lower MAE than the app's with Pearson at most
  0.01 below; and on `--check` (the synthetic answers, `grader synthetic`) Pearson is 0.7438 or more
  and MAE 1.92 or less.

With `--floor` (session 21) the grid is instead a floor under the score's scale and the share that is a 10
(`rule_table.FLOOR_GRID`, rules `floor-A-B`), against the app's `floor-0-0.85` (`floor-0-0.8` until session 30), by
the same rule.

Grid and floor rules read the decision without session 22's cap on an answer that reads like another question's
(`Limits.elsewhere_margin`) and with three spans per point whatever the answer's length (before session 25's
`Limits.spans_share`), as they were measured: their "app" is `eval --rule session-21`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.grading.claim_reading import Limits
from bot.settings import Settings
from devtools.evaluation import DatasetError
from devtools.rule_table import floor_name, floor_names, grid_name, grid_names
from devtools.rules import run_rules

CHOOSING = Path(__file__).with_name("data") / "choosing_answers.jsonl"
_LIMITS = Limits()
# the app's own constants (Limits, the checker's thresholds): grid-0.5-0.2-0.85-0.25 since session 30
APP = grid_name(0.5, _LIMITS.blend, _LIMITS.full_at, _LIMITS.incorrect_penalty)
APP_FLOOR = floor_name(_LIMITS.floor, _LIMITS.full_at)  # the same, named in the floor grid
PEARSON_SLACK, EXCELLENT_MEAN, EXCELLENT_BELOW_7, WRONG_MEAN = 0.005, 8.60, 3, 2.75
MAE_GAIN, HALF_PEARSON_SLACK, CHECK_PEARSON, CHECK_MAE = 0.05, 0.01, 0.7438, 1.92


def eligible(f: dict, app: dict) -> bool:
    styles = f.get("by_style", {})
    excellent, wrong = styles.get("excellent"), styles.get("wrong")
    return (f["pearson"] >= app["pearson"] - PEARSON_SLACK
            and (excellent is None or (excellent["predicted_mean"] >= EXCELLENT_MEAN
                                       and excellent["below_7"] <= EXCELLENT_BELOW_7))
            and (wrong is None or wrong["predicted_mean"] <= WRONG_MEAN))


def choose(figures: dict, app_name: str = APP) -> str | None:
    """The rule's choice: the eligible combination with the lowest MAE (None if none is eligible)."""
    app = figures[app_name]
    ok = [name for name, f in figures.items() if eligible(f, app)]
    return min(ok, key=lambda n: (figures[n]["mae"], n)) if ok else None


def brief(f: dict) -> dict:
    styles = f.get("by_style", {})
    return {"pearson": f["pearson"], "mae": f["mae"],
            **{f"{s}_mean": styles[s]["predicted_mean"] for s in ("excellent", "spoken", "wrong") if s in styles},
            **({"excellent_below_7": styles["excellent"]["below_7"]} if "excellent" in styles else {})}


def run(settings: Settings, choosing: Path, check: Path | None, floor: bool = False) -> dict:
    names, app = (floor_names(), APP_FLOOR) if floor else (grid_names(), APP)
    whole = run_rules(settings, choosing, names)["rules"]  # each rule's figures, and on each half (`halves`)
    chosen = choose(whole, app)
    out: dict = {"dataset": str(choosing), "combinations": len(names), "app": app, "app_figures": brief(whole[app]),
                 "chosen": chosen, "chosen_figures": brief(whole[chosen]) if chosen else None,
                 "best_eligible": sorted(({"rule": n, **brief(f)} for n, f in whole.items() if eligible(f, whole[app])),
                                         key=lambda r: r["mae"])[:10],
                 "lowest_mae_any": min(({"rule": n, **brief(f)} for n, f in whole.items()), key=lambda r: r["mae"])}
    failed = [] if chosen else ["no combination is eligible"]
    if chosen and whole[chosen]["mae"] > whole[app]["mae"] - MAE_GAIN:
        failed.append(f"MAE {whole[chosen]['mae']} is not {MAE_GAIN} below the app's {whole[app]['mae']}")
    out["halves"] = []
    for a, b in ((0, 1), (1, 0)):  # run_rules' halves: question_folds(records, 2, seed=0)
        on_a, on_b = ({name: f["halves"][h] for name, f in whole.items()} for h in (a, b))
        pick = choose(on_a, app)
        row = {"chosen_on_half": a, "chosen": pick, "app_on_other": brief(on_b[app]),
               "chosen_on_other": brief(on_b[pick]) if pick else None}
        out["halves"].append(row)
        if pick is None:
            failed.append(f"nothing eligible on half {a}")
        elif not (on_b[pick]["mae"] < on_b[app]["mae"] and on_b[pick]["pearson"] >= on_b[app]["pearson"] - HALF_PEARSON_SLACK):
            failed.append(f"chosen on half {a} ({pick}), half {b} gives {brief(on_b[pick])} against the app's "
                          f"{brief(on_b[app])}")
    if check is not None and chosen:
        checked = run_rules(settings, check, list(dict.fromkeys([app, chosen])))["rules"]
        out["check"] = {"dataset": str(check), "app": brief(checked[app]), "chosen": brief(checked[chosen])}
        if checked[chosen]["pearson"] < CHECK_PEARSON or checked[chosen]["mae"] > CHECK_MAE:
            failed.append(f"on {check.name}: {brief(checked[chosen])} (asked Pearson >= {CHECK_PEARSON}, "
                          f"MAE <= {CHECK_MAE})")
    out["adopt"], out["failed"] = not failed and chosen != app, failed
    return out


def main(argv: list[str]) -> None:
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    check = None
    if "--check" in args:
        at = args.index("--check")
        if at + 1 >= len(args):
            sys.exit("--check needs a file: the synthetic answers (`python -m bot grader synthetic --out FILE`).")
        check = Path(args[at + 1])
        del args[at:at + 2]
    floor = "--floor" in args
    args = [a for a in args if a != "--floor"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        sys.exit(f"Unknown arguments {' '.join(args)}; usage: {__doc__.split(chr(10))[2].strip()}")
    try:
        out = run(Settings.from_env(), Path(args[0]) if args else CHOOSING, check, floor)
    except DatasetError as exc:
        sys.exit(str(exc))
    if as_json:
        print(json.dumps(out))
        return
    print(f"{out['combinations']} combinations on {out['dataset']}; the app ({out['app']}): {out['app_figures']}")
    print(f"chosen: {out['chosen']} {out['chosen_figures']}")
    for row in out["best_eligible"]:
        print("  ", row)
    print(f"lowest MAE of all, eligible or not: {out['lowest_mae_any']}")
    for row in out["halves"]:
        print(f"chosen on half {row['chosen_on_half']}: {row['chosen']}; on the other half {row['chosen_on_other']}"
              f" against the app's {row['app_on_other']}")
    if "check" in out:
        print(f"check ({out['check']['dataset']}): chosen {out['check']['chosen']}, the app {out['check']['app']}")
    print("adopt" if out["adopt"] else "not adopted: " + "; ".join(out["failed"] or ["the app's own constants"]))


if __name__ == "__main__":
    main(sys.argv[1:])
