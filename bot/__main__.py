"""The command line: corpus, index, ask, bench, eval, transcribe, export (python -m bot --help).

`bench`, `loadtest`, `eval` and `grader fit` run developer tools kept outside the package
(devtools/ of the repository, devtools/__init__.py): they work from a checkout and, from an
installed wheel, say so in a sentence.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import click

from bot.corpus import CorpusError, Level, load_corpus
from bot.errors import BotError
from bot.settings import Settings, offline_models


class _Commands(click.Group):
    """The command group; an error whose message is the sentence to show (a setting that names an unusable
    model, a corpus file to fix) ends the command with that sentence instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BotError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
def cli() -> None:
    """Mock-interview coach."""
    offline_models()


@cli.group()
def corpus() -> None:
    """Check and count the question bank."""


@corpus.command("check")
def corpus_check() -> None:
    """Validate every question and rubric; exit non-zero on the first problem."""
    _, c = _settings_and_corpus()
    click.echo(f"ok: {len(c.questions)} questions, {sum(len(r.points) for r in c.rubrics.values())} rubric points")


@corpus.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table (the README's).")
def corpus_stats(as_json: bool, markdown: bool) -> None:
    """Count questions by role, level and category."""
    _, c = _settings_and_corpus()
    counts = Counter((q.role, q.level.value, q.category.value) for q in c.questions.values())
    stats: dict = {"total": len(c.questions), "by_role": {}}
    for (role, level, category), n in sorted(counts.items()):
        r = stats["by_role"].setdefault(role, {"total": 0, "by_level": {}, "by_category": {}})
        r["total"] += n
        r["by_level"][level] = r["by_level"].get(level, 0) + n
        r["by_category"][category] = r["by_category"].get(category, 0) + n
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    if markdown:
        click.echo(_stats_table(stats))
        return
    for role, r in stats["by_role"].items():
        click.echo(f"{role}: {r['total']}  levels {r['by_level']}  categories {r['by_category']}")
    click.echo(f"total: {stats['total']}")


def _stats_table(stats: dict) -> str:
    levels = [lv.value for lv in Level]
    categories = sorted({c for r in stats["by_role"].values() for c in r["by_category"]})
    head = ["role", *levels, *categories, "total"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for role, r in stats["by_role"].items():
        cells = [r["by_level"].get(lv, 0) for lv in levels] + [r["by_category"].get(c, 0) for c in categories]
        rows.append(f"| {role} | " + " | ".join(map(str, cells)) + f" | {r['total']} |")
    totals = [sum(r["by_level"].get(lv, 0) for r in stats["by_role"].values()) for lv in levels] + [
        sum(r["by_category"].get(c, 0) for r in stats["by_role"].values()) for c in categories]
    rows.append("| **all** | " + " | ".join(map(str, totals)) + f" | **{stats['total']}** |")
    return "\n".join(rows)


def _devtool(name: str, command: str) -> ModuleType:
    """`devtools.<name>` from the checkout this package sits in (whatever the working folder);
    a ClickException saying where the tool lives when the package was installed without it."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "devtools" / "__init__.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        return importlib.import_module(f"devtools.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("devtools", f"devtools.{name}"):
            raise
        raise click.ClickException(
            f"`python -m bot {command}` is a developer tool: it lives in devtools/ of the repository, which an "
            "installed package does not include. Run it from a checkout of the repository.") from None


def _settings_and_corpus():
    settings = Settings.from_env()
    try:
        return settings, load_corpus(settings.corpus_dir, settings.rubrics_dir)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group()
def index() -> None:
    """Build the rubric index."""


@index.command("build")
def index_build() -> None:
    """Embed every rubric point and save the FAISS index to the cache directory."""
    from bot.embeddings import VectorCache
    from bot.index import RubricIndex
    from bot.services import build_embedder

    settings, c = _settings_and_corpus()
    vectors = VectorCache(build_embedder(settings))
    started = time.perf_counter()
    built = RubricIndex.build(c, vectors)
    elapsed = time.perf_counter() - started
    base = settings.cache / f"rubric-index-{RubricIndex.cache_key(c, vectors)}"
    built.save(base)
    click.echo(f"indexed {len(built)} rubric points from {len(c.questions)} questions in {elapsed:.2f} s -> {base}.faiss")


@cli.command()
@click.argument("question_id")
@click.argument("answer")
@click.option("--level", type=click.Choice([lv.value for lv in Level]), help="Grade as this level (default: the question's).")
def ask(question_id: str, answer: str, level: str | None) -> None:
    """Grade one ANSWER to QUESTION_ID and print the feedback as one JSON object."""
    from dataclasses import asdict

    from bot.services import build_assessor
    from bot.text import clean_answer

    settings, c = _settings_and_corpus()
    if question_id not in c.questions:
        raise click.ClickException(f"There is no question {question_id!r}; `python -m bot corpus stats` lists the roles.")
    question = c.questions[question_id]
    points = c.rubrics[question_id].expected_points(Level(level) if level else question.level)
    grade, hints = build_assessor(settings).grade_answer(question, points, clean_answer(answer))
    out = {"question_id": question_id, **grade.model_dump(mode="json"), "hints": [asdict(h) for h in hints]}
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))


@cli.command()
@click.option("-n", "count", default=60, show_default=True, help="Answers to grade.")
@click.option("--audio", is_flag=True, help="Time speech transcription instead (real-time factor, model load).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bench(count: int, audio: bool, as_json: bool) -> None:
    """Time each stage of the offline grading path (p50/p95 ms) and the cold start."""
    if audio:
        speech_bench = _devtool("speech_bench", "bench --audio")
        try:
            figures = speech_bench.run_audio_bench(Settings.from_env().speech_model)
        except speech_bench.SpeechBenchError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        figures = _devtool("bench", "bench").run_bench(Settings.from_env(), count)
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:>22}: {value}")


@cli.command()
@click.option("--sessions", default=20, show_default=True, type=click.IntRange(1, 200),
              help="Candidates answering at the same time.")
@click.option("--turns", default=5, show_default=True, type=click.IntRange(1, 30), help="Answers per candidate.")
@click.option("--port", default=0, type=click.IntRange(0, 65535), help="Port for the app (default: a free one).")
@click.option("--timeout", "timeout_s", default=300.0, show_default=True, type=click.FloatRange(10),
              help="Overall limit in seconds, start-up included.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def loadtest(sessions: int, turns: int, port: int, timeout_s: float, as_json: bool) -> None:
    """Start the app on a fresh database, drive concurrent candidates, check every answer was kept.

    Exits non-zero if a request failed, an answer was lost or duplicated, or a grade is missing.
    """
    load = _devtool("loadtest", "loadtest")
    try:
        figures = load.run_loadtest(Settings.from_env(), sessions, turns, port=port, timeout_s=timeout_s)
    except load.LoadTestError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:>18}: {value}")
    if not figures["ok"]:
        sys.exit(1)


@cli.command()
@click.argument("recording", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def transcribe(recording: Path, as_json: bool) -> None:
    """Transcribe a RECORDING offline and measure its delivery (pace, fillers, pauses)."""
    from dataclasses import asdict

    from bot.delivery import advice, measure, summary
    from bot.speech import SpeechError, Transcriber

    settings = Settings.from_env()
    try:
        transcriber = Transcriber(settings.speech_model, cache_dir=settings.cache,
                                  max_seconds=settings.max_audio_seconds)
        t = transcriber.transcribe(recording)
    except SpeechError as exc:
        raise click.ClickException(str(exc)) from None
    d = measure(t.words)
    if as_json:
        click.echo(json.dumps({"text": t.text, "duration_s": round(t.duration_s, 2), "language": t.language,
                               "delivery": asdict(d), "advice": advice(d)}, ensure_ascii=False))
        return
    click.echo(t.text)
    click.echo(f"\n{summary(d)}")
    click.echo(advice(d))


@cli.command("eval")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--grader", "kind", type=click.Choice(["rubric", "llm"]), default="rubric", show_default=True,
              help="rubric: the offline grader the app uses (BOT_OFFLINE_GRADER: claims, the default, or rubric).")
@click.option("--cv-by-question", "cv_k", type=int, default=None,
              help="K-fold cross-validation grouped by question: the calibration never sees the question it scores.")
@click.option("--limit", type=int, default=None, help="Only the first N records (a quick slice).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, help="Write a scatter of predicted vs human.")
@click.option("--rule", "rule", default=None, metavar="NAMES",
              help="Decision rules tried over the claim checker's readings, comma-separated, or 'all' "
                   "(devtools/rules.py; docs/grading.md): the figures of each instead of the app's.")
def eval_command(dataset: Path, kind: str, cv_k: int | None, limit: int | None, as_json: bool, plot: Path | None,
                 rule: str | None) -> None:
    """Agreement of a grader with human scores on DATASET (JSONL), or the held-out test answers
    (a folder or file of tests/data/answers YAML). Answers to bank questions are graded the app's way."""
    evaluation = _devtool("evaluation", "eval")
    settings = Settings.from_env()
    if kind == "llm" and not settings.llm_configured:
        raise click.ClickException("--grader llm needs BOT_LLM_MODEL and OPENAI_API_KEY or OPENAI_BASE_URL.")
    rules = None
    if rule is not None:
        if kind == "llm" or cv_k or plot:
            raise click.ClickException("--rule grades with the offline claim grader: leave out --grader llm, "
                                       "--cv-by-question and --plot.")
        rules = _devtool("rules", "eval --rule")
        try:
            names = rules.rule_names(rule)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        figures = (rules.run_rules(settings, dataset, names, limit) if rules else
                   evaluation.run_eval(settings, dataset, kind, cv_k=cv_k, limit=limit, plot=plot))
    except evaluation.DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    _print_figures(figures, as_json)


def _print_figures(figures: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:>20}: {value}")


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "csv", "jsonl"]), required=True,
              help="md / json: one session; csv: one row per graded answer; jsonl: one session per line.")
@click.option("--candidate", default=None, help="Only sessions whose candidate name contains NAME (any case).")
@click.option("--since", default=None, metavar="DATE", help="Only sessions started on or after DATE (YYYY-MM-DD).")
@click.option("--until", default=None, metavar="DATE", help="Only sessions started on or before DATE (YYYY-MM-DD).")
@click.option("--session", "session_id", default=None, metavar="ID", help="Only this session.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="File to write ('-' for the screen).")
def export(fmt: str, candidate: str | None, since: str | None, until: str | None, session_id: str | None,
           out: Path) -> None:
    """Export sessions from the database (BOT_DB_PATH) with their grades and coach notes."""
    from bot.errors import BotError
    from bot.export import render
    from bot.review import session_filter
    from bot.store import SessionStore

    settings = Settings.from_env()
    if not settings.database.is_file():
        raise click.ClickException(f"There is no session database at {settings.database}; set BOT_DB_PATH or BOT_DATA_DIR.")
    try:
        store = SessionStore(settings.database)
        f = session_filter(candidate=candidate, date_from=since, date_to=until, session_id=session_id, order="oldest")
        records = store.session_records([s["session_id"] for s in store.find_sessions(f)])
        text = render(records, fmt)
    except BotError as exc:
        raise click.ClickException(str(exc)) from None
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"Cannot write {out} ({exc.strerror}); choose another --out path.") from None
    click.echo(f"wrote {len(records)} session(s) as {fmt} to {out}", err=True)


@cli.group()
def grader() -> None:
    """The offline grader's calibration."""


@grader.command("fit")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the parameters [default: the file shipped in the package].")
def grader_fit(dataset: Path, out: Path | None) -> None:
    """Fit the offline grader's calibration on human-graded answers in DATASET (JSONL)."""
    from bot.grading.calibration import DEFAULT_PATH

    evaluation = _devtool("evaluation", "grader fit")
    try:
        calibration = evaluation.run_fit(Settings.from_env(), dataset, out or DEFAULT_PATH)
    except evaluation.DatasetError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Fitted on {calibration.params['answers']} answers from {dataset.name}; wrote {out or DEFAULT_PATH}.")


@grader.command("train")
@click.option("--seed", default=0, show_default=True, help="Seed for the data builder, the split and training.")
@click.option("--epochs", default=None, type=click.IntRange(1, 20),
              help="Passes over the training pairs [default: the shipped weights' setting, bot/grading/train.py].")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64), help="CPU threads for torch.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Folder for the weights and record [default: the package's, where the app loads them].")
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="Train on these pairs (from `grader pairs`) instead of building them.")
def grader_train(seed: int, epochs: int, threads: int, out: Path | None, pairs_path: Path | None) -> None:
    """Fine-tune the claim checker on pairs built from the rubrics (never on the measuring data)."""
    from bot.grading.claims import RECORD_PATH, WEIGHTS_PATH
    from bot.grading.train import train

    _, c = _settings_and_corpus()
    weights, record = (out / WEIGHTS_PATH.name, out / RECORD_PATH.name) if out else (WEIGHTS_PATH, RECORD_PATH)
    if out:
        out.mkdir(parents=True, exist_ok=True)
    overrides = {"epochs": epochs} if epochs else {}
    figures = train(c, seed=seed, threads=threads, weights_path=weights, record_path=record,
                    pairs_path=pairs_path, progress=lambda m: click.echo(m, err=True), **overrides)
    click.echo(f"wrote {weights} ({figures['weights_bytes'] / 1e6:.1f} MB) and {record} in "
               f"{figures['training_seconds'] / 60:.1f} min; held-out questions: {figures['held_out']}")


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

    _, c = _settings_and_corpus()
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

    _, c = _settings_and_corpus()
    pairs = build_pairs(c, seed=seed, statements=with_more_statements(more) if more else None)
    save_pairs(pairs, out)
    click.echo(f"wrote {len(pairs)} pairs to {out}: {dict(Counter(LABELS[p.label] for p in pairs))}")


@grader.command("untrusted")
@click.option("--model-answers", is_flag=True,
              help="Also list the points whose question's model answer the checker reads as contradicting them.")
@click.option("--write", is_flag=True,
              help="Write both readings of every point into the table the app starts with (bot/grading/trust.py).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def grader_untrusted(model_answers: bool, write: bool, as_json: bool) -> None:
    """List the rubric points whose own examples the claim checker reads as contradicting them: the app
    believes its contradiction of such a point only where the span contradicts most of the examples too
    (red flags count as always). With --model-answers, also the points (with examples) whose model answer
    it misreads so, which get the same second reading since session 17. Rewording such a point or example
    so that the checker reads it right makes its contradictions count as before. With --write, both
    readings go into the table the app starts with, for this setup (run it once per BOT_PRECISION)."""
    from bot.embeddings import VectorCache
    from bot.grading.claim_grader import ClaimGrader
    from bot.grading.claims import ClaimChecker
    from bot.grading.trust import examples_key, model_key, setup_key, write_readings
    from bot.services import build_embedder
    from bot.text import point_claim

    settings, c = _settings_and_corpus()
    checker = (ClaimChecker.from_folder(settings.claim_checker, settings.precision) if settings.claim_checker
               else ClaimChecker.load(precision=settings.precision))  # a ClaimCheckerError is a sentence (BotError)
    grader = ClaimGrader(VectorCache(build_embedder(settings)), c, checker, None, readings=None)  # read here, afresh
    points = [(qid, p, point_claim(p.text)) for qid, r in sorted(c.rubrics.items()) for p in r.points if p.examples]
    trusted = {(qid, p.id): grader.trusted(claim, p) for qid, p, claim in points}  # as the app reads them
    untrusted = [f"{qid}/{p.id}" for qid, p, _ in points if not trusted[qid, p.id]]
    out = {"points_with_examples": len(points), "untrusted": untrusted}
    if model_answers or write:
        misread = {(qid, p.id): grader.misreads_model_answer(c.questions[qid], p, claim) for qid, p, claim in points}
        if model_answers:
            out["model_answer_misread"] = [f"{qid}/{p.id}" for qid, p, _ in points if misread[qid, p.id]]
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


@cli.command("first-question", hidden=True)
def first_question() -> None:
    """Start the services and ask one question (the bench times this from a cold process)."""
    from bot.services import build_interview

    turn = build_interview(Settings.from_env()).start("bench", "embedding-engineer", "mid")
    click.echo(turn.question.id)


def main() -> None:
    cli(prog_name="python -m bot")


if __name__ == "__main__":
    sys.exit(main())
