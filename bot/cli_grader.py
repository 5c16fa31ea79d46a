"""`python -m bot grader ...`: the offline grader's calibration and the claim checker's data, training and
second readings (bot/grading/)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from bot.cli_support import devtool, settings_and_corpus
from bot.settings import Settings


@click.group()
def grader() -> None:
    """The offline grader: its calibration, the claim checker's pairs, training and second readings."""


@grader.command("fit")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the parameters [default: the file shipped in the package].")
def grader_fit(dataset: Path, out: Path | None) -> None:
    """Fit the offline grader's calibration on human-graded answers in DATASET (JSONL)."""
    from bot.grading.calibration import DEFAULT_PATH

    evaluation = devtool("evaluation", "grader fit")
    try:
        calibration = evaluation.run_fit(Settings.from_env(), dataset, out or DEFAULT_PATH)
    except evaluation.DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Fitted on {calibration.params['answers']} answers from {dataset.name}; wrote {out or DEFAULT_PATH}.")


@grader.command("train")
@click.option("--seed", default=0, show_default=True,
              help="Seed for the data builder and training (the held-out questions stay fixed).")
@click.option("--epochs", default=None, type=click.IntRange(1, 20),
              help="Passes over the training pairs [default: the shipped weights' setting, bot/grading/train.py].")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="CPU threads for torch.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder for the weights and record [default: the package's, where the app loads them].")
@click.option("--first-only", is_flag=True,
              help="The first training alone, without the refining passes that follow it (`grader train` until "
                   "session 31).")
@click.option("--flags", is_flag=True,
              help="Also rebuild the red flags' checker from the same first training (about 40 minutes more).")
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="With --first-only: train on these pairs (from `grader pairs`) instead of building them.")
def grader_train(seed: int, epochs: int, threads: int, out: Path | None, first_only: bool, flags: bool,
                 pairs_path: Path | None) -> None:
    """Rebuild the claim checker from the rubrics and the project's written statements (never the measuring data):
    the first training, then the refining passes that made the shipped one (bot/grading/train.py's POINTS_PASSES)."""
    from bot.grading.claims import RECORD_PATH, WEIGHTS_PATH
    from bot.grading.train import rebuild, train

    if pairs_path and not first_only:
        raise click.ClickException("--pairs changes the first training's pairs, which the refining passes do not "
                                   "read; add --first-only to train on them alone.")
    if flags and first_only:
        raise click.ClickException("--flags rebuilds the red flags' checker from the first training's refining "
                                   "passes; leave out --first-only, or --flags.")
    _, c = settings_and_corpus()
    folder = out or WEIGHTS_PATH.parent
    folder.mkdir(parents=True, exist_ok=True)
    overrides = {"epochs": epochs} if epochs else {}
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    started = time.perf_counter()
    if first_only:
        figures = train(c, seed=seed, threads=threads, weights_path=folder / WEIGHTS_PATH.name,
                        record_path=folder / RECORD_PATH.name, pairs_path=pairs_path, progress=say, **overrides)
    else:
        figures = rebuild(c, out=folder, seed=seed, threads=threads, flags=flags, progress=say, **overrides)
    click.echo(f"wrote {folder / WEIGHTS_PATH.name} ({figures['weights_bytes'] / 1e6:.1f} MB) and its record"
               f"{' and the red flags checker' if flags else ''} in {(time.perf_counter() - started) / 60:.1f} min; "
               f"held-out questions: {figures['held_out']}")


@grader.command("refine")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the weights and record.")
@click.option("--init", type=click.Path(path_type=Path, exists=True), default=None,
              help="The checker folder to refine [default: the shipped checker].")
@click.option("--flag-statements", "flags_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="Red flags said in other words, one JSON object per question [default: the shipped file].")
@click.option("--lr", default=None, type=float, help="Learning rate [default: bot/grading/train.py's REFINE].")
@click.option("--replay", default=None, type=click.IntRange(0, 20),
              help="The checker's own training pairs per new pair [default: REFINE's].")
@click.option("--balance/--no-balance", default=None,
              help="Balance each flag's new pairs with right statements of its point [default: REFINE's].")
@click.option("--facts/--no-facts", default=None,
              help="With --balance, each flag also against its fact and its point's examples [default: REFINE's].")
@click.option("--rights/--no-rights", default=None,
              help="With --balance, each flag also against its right statements in its own words; with --reversals, "
                   "each point also against two of its written right statements and one of its examples (entails) "
                   "[default: REFINE's].")
@click.option("--said/--no-said", default=None,
              help="With --balance, each written statement of a red flag also as the hypothesis, as Limits.flag_statements "
                   "reads it (session 29) [default: REFINE's].")
@click.option("--hard/--no-hard", default=None,
              help="Instead of the red flags: the checker's own training pairs from sure sources that it misreads "
                   "(train.py's SURE_SOURCES) [default: REFINE's].")
@click.option("--cross/--no-cross", default=None,
              help="Instead of the red flags: false statements of each question's other points against each point "
                   "(neutral), balanced by the point's own (session 30) [default: REFINE's].")
@click.option("--clauses/--no-clauses", default=None,
              help="Instead of the red flags: each point against clauses of its right statements (entails or neutral) "
                   "and of its false ones (contradicts) (session 32) [default: REFINE's].")
@click.option("--context/--no-context", default=None,
              help="Instead of the red flags: each point's right and false statements beside a model-answer sentence "
                   "of another point (entails, contradicts), another point's beside one (neutral) (session 33) "
                   "[default: REFINE's].")
@click.option("--stories/--no-stories", default=None,
              help="Instead of the red flags: behavioral questions' points against vague buzzword stories (neutral) "
                   "and their right statements beside a buzzword sentence (entails) (session 34) [default: REFINE's].")
@click.option("--reversals/--no-reversals", default=None,
              help="Instead of the red flags: each point against its minimal pairs, a sentence that states it "
                   "(entails) and the same sentence in reverse (contradicts), alone and beside another point's "
                   "sentence (session 37, reversal_statements.jsonl) [default: REFINE's].")
@click.option("--graded/--no-graded", default=None,
              help="Instead of the red flags: the choosing sets' answers, each point's spans labelled by the raters' "
                   "verdicts (session 40, bot/grading/graded_pairs.jsonl, `grader graded-pairs`) [default: REFINE's].")
@click.option("--graded-pairs", "graded_pairs", default=None,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --graded, the graded pairs from this file (one `grader graded-pairs` wrote) instead of the "
                   "shipped ones.")
@click.option("--interpolate", default=None, type=click.FloatRange(0, 1, min_open=True),
              help="Ship (1 - A) x the starting checker's weights + A x the refined ones (session 40) [default: the "
                   "refined ones].")
@click.option("--made-false/--no-made-false", "made_false", default=None,
              help="With --clauses, also a clause that states the point made false by a rule (contradicts) "
                   "[default: REFINE's].")
@click.option("--seed", default=0, show_default=True)
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="CPU threads for torch.")
def grader_refine(out: Path, init: Path | None, flags_path: Path | None, lr: float | None, replay: int | None,
                  balance: bool | None, facts: bool | None, rights: bool | None, said: bool | None, hard: bool | None,
                  cross: bool | None, clauses: bool | None, context: bool | None, stories: bool | None,
                  reversals: bool | None, graded: bool | None, graded_pairs: Path | None, interpolate: float | None,
                  made_false: bool | None, seed: int, threads: int) -> None:
    """One more pass of a trained claim checker over red flags said in other words (session 27, docs/grading.md)."""
    from bot.grading.claimdata import FLAG_STATEMENTS_PATH
    from bot.grading.claims import RECORD_PATH, WEIGHTS_PATH
    from bot.grading.train import refine

    kinds = {"hard": hard, "cross": cross, "clauses": clauses, "context": context, "stories": stories,
             "reversals": reversals, "graded": graded}
    chosen = [f"--{k}" for k, on in kinds.items() if on]
    if len(chosen) > 1:
        raise click.ClickException(f"{' and '.join(chosen)} each choose the pass's new pairs instead of the red flags; "
                                   "give one of them.")
    if graded_pairs is not None and not graded:
        raise click.ClickException("--graded-pairs names the pairs of --graded; give --graded too.")
    if made_false is not None and not clauses:
        raise click.ClickException("--made-false and --no-made-false change the pairs of --clauses; "
                                   "give --clauses too.")
    weights = (init / WEIGHTS_PATH.name) if init else WEIGHTS_PATH
    if not weights.is_file():
        raise click.ClickException(f"{init} holds no claim checker ({WEIGHTS_PATH.name}); point --init at a folder that "
                                   "`grader train --out` or `grader refine --out` wrote.")
    _, c = settings_and_corpus()
    out.mkdir(parents=True, exist_ok=True)
    overrides = {k: v for k, v in (("lr", lr), ("replay", replay), ("balance", balance), ("facts", facts),
                                   ("rights", rights), ("said", said), *kinds.items(), ("made_false", made_false),
                                   ("interpolate", interpolate),
                                   ("graded_pairs", str(graded_pairs) if graded_pairs else None))
                 if v is not None}
    figures = refine(c, init=weights, seed=seed, threads=threads,
                     weights_path=out / WEIGHTS_PATH.name, record_path=out / RECORD_PATH.name,
                     flags_path=flags_path or FLAG_STATEMENTS_PATH, progress=lambda m: click.echo(m, err=True),
                     **overrides)
    click.echo(f"wrote {out} in {figures['training_seconds'] / 60:.1f} min; held-out questions: {figures['held_out']}")


@grader.command("average")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write claim_checker.* into.")
def grader_average(folders: tuple[Path, ...], out: Path) -> None:
    """A points' checker whose weights are the mean of the given checkers' (folders that `grader refine --out` wrote,
    or bot/grading for the shipped one), all refined from one checker (session 38). The shipped red flags' checker is
    copied beside it, so that BOT_CLAIM_CHECKER=OUT grades as the app with only the points' checker changed."""
    import shutil

    from bot.grading.claims import FLAG_RECORD_PATH, FLAG_WEIGHTS_PATH, RECORD_PATH, WEIGHTS_PATH
    from bot.grading.train import average

    missing = [str(f) for f in folders if not (f / WEIGHTS_PATH.name).is_file() or not (f / RECORD_PATH.name).is_file()]
    if missing:
        raise click.ClickException(f"{', '.join(missing)} holds no claim checker ({WEIGHTS_PATH.name} and "
                                   f"{RECORD_PATH.name}); give folders that `grader train --out` or "
                                   "`grader refine --out` wrote, or bot/grading.")
    if out.resolve() == WEIGHTS_PATH.parent.resolve():
        raise click.ClickException(f"--out {out} is where the shipped checkers live; write the mean to another folder "
                                   "(the shipped weights change only with a landing, docs/grading.md).")
    try:
        record = average(list(folders), weights_path=out / WEIGHTS_PATH.name, record_path=out / RECORD_PATH.name)
    except ValueError as exc:
        raise click.ClickException(f"{exc}.") from None
    for path in (FLAG_WEIGHTS_PATH, FLAG_RECORD_PATH):
        shutil.copy(path, out / path.name)
    click.echo(f"wrote {out}: the mean of {len(folders)} checkers (sha256 {record['weights_sha256'][:12]}), and the "
               "shipped red flags' checker beside it")


@grader.command("synthetic")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="JSONL file to write.")
@click.option("--model-answers", is_flag=True,
              help="Instead: every open bank question's model answer, scored 10 (how many are told they said "
                   "something false: `eval --json`, by_style.model.marked_incorrect).")
@click.option("--one-false", is_flag=True,
              help="Instead: right answers to the held-out questions with one written misconception each (is it "
                   "still found: by_style.*.marked_incorrect).")
def grader_synthetic(seed: int, out: Path, model_answers: bool, one_false: bool) -> None:
    """Write synthetic whole answers to the claim checker's held-out questions, with the scores they should
    get, as JSON lines for `python -m bot eval` (the set the grader's decision rules were chosen on)."""
    from collections import Counter

    from bot.grading import claimdata

    _, c = settings_and_corpus()
    rows = (claimdata.model_answers(c) if model_answers else claimdata.one_false_answers(c, seed=seed) if one_false
            else claimdata.synthetic_answers(c, seed=seed))
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    click.echo(f"wrote {len(rows)} answers to {out}: {dict(Counter(r['style'] for r in rows))}")


@grader.command("pairs")
@click.option("--seed", default=0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="JSONL file to write.")
@click.option("--add-statements", "more", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="A file of written statements like bot/grading/claim_statements.jsonl, added to the shipped "
                   "ones (a batch tried, e.g. devtools/data/statements_tried_s16.jsonl).")
def grader_pairs(seed: int, out: Path, more: Path | None) -> None:
    """Write the claim checker's training pairs, built from the rubrics, as JSON lines (train on them with
    `grader train --pairs`)."""
    from collections import Counter

    from bot.grading.claimdata import LABELS, build_pairs, save_pairs, with_more_statements

    _, c = settings_and_corpus()
    pairs = build_pairs(c, seed=seed, statements=with_more_statements(more) if more else None)
    save_pairs(pairs, out)
    click.echo(f"wrote {len(pairs)} pairs to {out}: {dict(Counter(LABELS[p.label] for p in pairs))}")


@grader.command("graded-pairs")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="JSONL file to write (the shipped one: bot/grading/graded_pairs.jsonl).")
@click.option("--partial", is_flag=True,
              help="Also the points both raters call partial: the span read as most entailing, trained towards the "
                   "app's partial band (session 47; not in the shipped file).")
def grader_graded_pairs(out: Path, partial: bool) -> None:
    """Write training pairs for the points' checker from the choosing sets' graded answers: the spans the app reads for
    each point, labelled where both raters agree (devtools/graded_pairs.py; `grader refine --graded` trains on them).
    They are read with the running checker: the shipped file, with the one `grader train` makes first."""
    from collections import Counter

    from bot.grading.claimdata import save_pairs

    graded = devtool("graded_pairs", "grader graded-pairs")
    try:
        pairs = graded.build(Settings.from_env(), partial=partial)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    save_pairs(pairs, out)
    click.echo(f"wrote {len(pairs)} pairs to {out}: {dict(sorted(Counter(p.source for p in pairs).items()))}")


@grader.command("untrusted")
@click.option("--model-answers", is_flag=True,
              help="Also list the points whose question's model answer the checker reads as contradicting them.")
@click.option("--flags", is_flag=True,
              help="Also list the red flags the checker reads as stated in their question's own model answer.")
@click.option("--write", is_flag=True,
              help="Write both readings of every point into the table the app starts with (bot/grading/trust.py).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def grader_untrusted(model_answers: bool, flags: bool, write: bool, as_json: bool) -> None:
    """List the rubric points whose own examples the claim checker reads as contradicting them: the app
    believes its contradiction of such a point only where the span contradicts most of the examples too
    (red flags count as always). With --model-answers, also the points (with examples) whose model answer
    it misreads so, which get the same second reading since session 17. Rewording such a point or example
    so that the checker reads it right makes its contradictions count as before. With --write, both
    readings go into the table the app starts with, for this setup (run it once per BOT_PRECISION). With --flags,
    also the red flags it reads as stated in their question's model answer (session 23's `Limits.flag_check`,
    tried and not the app's)."""
    from bot.embeddings import VectorCache
    from bot.grading.claim_grader import ClaimGrader
    from bot.grading.trust import examples_key, model_key, setup_key, write_readings
    from bot.services import build_embedder, load_checkers
    from bot.text import point_claim

    settings, c = settings_and_corpus()
    checker, flag_checker = load_checkers(settings.claim_checker, None, settings.precision)  # errors are sentences
    grader = ClaimGrader(VectorCache(build_embedder(settings)), c, checker, None, readings=None,  # read here, afresh
                         flag_checker=flag_checker)
    points = [(qid, p, point_claim(p.text)) for qid, r in sorted(c.rubrics.items()) for p in r.points if p.examples]
    trusted = {(qid, p.id): grader.trusted(claim, p) for qid, p, claim in points}  # as the app reads them
    untrusted = [f"{qid}/{p.id}" for qid, p, _ in points if not trusted[qid, p.id]]
    out = {"points_with_examples": len(points), "untrusted": untrusted}
    if model_answers or write:
        misread = {(qid, p.id): grader.misreads_model_answer(c.questions[qid], p, claim) for qid, p, claim in points}
        if model_answers:
            out["model_answer_misread"] = [f"{qid}/{p.id}" for qid, p, _ in points if misread[qid, p.id]]
    if flags:
        asked = [(qid, f) for qid, r in sorted(c.rubrics.items()) for f in r.red_flags if qid in c.questions]
        out["red_flags"] = len(asked)
        out["flags_read_in_model_answer"] = [f"{qid}/{f.point}: {f.claim}" for qid, f in asked
                                             if grader.misreads_flag(c.questions[qid], f)]
    if write:
        readings = {}
        for qid, p, claim in points:
            readings[examples_key(claim, p.examples)] = trusted[qid, p.id]
            readings[model_key(c.questions[qid], c.rubrics[qid], claim)] = misread[qid, p.id]
        setup = setup_key(checker, grader.embedder)
        write_readings(setup, readings)
        click.echo(f"wrote {len(readings)} readings for {setup.split('|', 1)[1]} to bot/grading/claim_trust.json",
                   err=True)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo("\n".join(untrusted))
    click.echo(f"{len(untrusted)} of {len(points)} points with examples: a contradiction of one needs a second "
               "reading (against its examples).", err=True)
    if model_answers:
        listed = out["model_answer_misread"]
        click.echo("\n".join(listed))
        click.echo(f"{len(listed)} points whose model answer the checker reads as contradicting them "
                   f"({len(set(listed) - set(untrusted))} of them not listed above).", err=True)
    if flags:
        click.echo("\n".join(out["flags_read_in_model_answer"]))
        click.echo(f"{len(out['flags_read_in_model_answer'])} of {out['red_flags']} red flags read as stated in their "
                   "question's own model answer.", err=True)
