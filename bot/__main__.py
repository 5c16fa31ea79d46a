"""The command line: corpus, index, ask, bench, eval, transcribe, export (python -m bot --help); the
`grader` group is bot/cli_grader.py.

`bench`, `loadtest`, `eval` and `grader fit` run developer tools kept outside the package
(devtools/ of the repository, devtools/__init__.py): they work from a checkout and, from an
installed wheel, say so in a sentence.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import click

from bot.cli_grader import grader
from bot.cli_support import devtool, settings_and_corpus
from bot.corpus import Level
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
    _, c = settings_and_corpus()
    click.echo(f"ok: {len(c.questions)} questions, {sum(len(r.points) for r in c.rubrics.values())} rubric points")


@corpus.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table (the README's).")
def corpus_stats(as_json: bool, markdown: bool) -> None:
    """Count questions by role, level and category."""
    _, c = settings_and_corpus()
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


@cli.group()
def index() -> None:
    """Build the rubric index."""


@index.command("build")
def index_build() -> None:
    """Embed every rubric point and save the FAISS index to the cache directory."""
    from bot.embeddings import VectorCache
    from bot.index import RubricIndex
    from bot.services import build_embedder

    settings, c = settings_and_corpus()
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

    settings, c = settings_and_corpus()
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
        speech_bench = devtool("speech_bench", "bench --audio")
        try:
            figures = speech_bench.run_audio_bench(Settings.from_env().speech_model)
        except speech_bench.SpeechBenchError as exc:
            raise click.ClickException(str(exc)) from None
    else:
        figures = devtool("bench", "bench").run_bench(Settings.from_env(), count)
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
    load = devtool("loadtest", "loadtest")
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
@click.argument("dataset", nargs=-1, required=True, type=click.Path(path_type=Path))
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
def eval_command(dataset: tuple[Path, ...], kind: str, cv_k: int | None, limit: int | None, as_json: bool,
                 plot: Path | None, rule: str | None) -> None:
    """Agreement of a grader with human scores on DATASET (JSONL; several files are graded as one set), or the
    held-out test answers (a folder or file of tests/data/answers YAML). Answers to bank questions are graded the
    app's way."""
    evaluation = devtool("evaluation", "eval")
    settings = Settings.from_env()
    if kind == "llm" and not settings.llm_configured:
        raise click.ClickException("--grader llm needs BOT_LLM_MODEL and OPENAI_API_KEY or OPENAI_BASE_URL.")
    rules = None
    if rule is not None:
        if kind == "llm" or cv_k or plot:
            raise click.ClickException("--rule grades with the offline claim grader: leave out --grader llm, "
                                       "--cv-by-question and --plot.")
        rules = devtool("rules", "eval --rule")
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


cli.add_command(grader)


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
