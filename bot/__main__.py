"""The command line: corpus, index, ask, bench (python -m bot --help)."""

from __future__ import annotations

import json
import sys
from collections import Counter

import click

from bot.corpus import CorpusError, load_corpus
from bot.settings import Settings


@click.group()
def cli() -> None:
    """Mock-interview coach."""


@cli.group()
def corpus() -> None:
    """Check and count the question bank."""


@corpus.command("check")
def corpus_check() -> None:
    """Validate every question and rubric; exit non-zero on the first problem."""
    settings = Settings.from_env()
    try:
        c = load_corpus(settings.corpus_dir, settings.rubrics_dir)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"ok: {len(c.questions)} questions, {sum(len(r.points) for r in c.rubrics.values())} rubric points")


@corpus.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def corpus_stats(as_json: bool) -> None:
    """Count questions by role, level and category."""
    settings = Settings.from_env()
    try:
        c = load_corpus(settings.corpus_dir, settings.rubrics_dir)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
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
    for role, r in stats["by_role"].items():
        click.echo(f"{role}: {r['total']}  levels {r['by_level']}  categories {r['by_category']}")
    click.echo(f"total: {stats['total']}")


def main() -> None:
    cli(prog_name="python -m bot")


if __name__ == "__main__":
    sys.exit(main())
