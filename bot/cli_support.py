"""What the command line's modules share: a developer tool from the checkout, and the settings with the bank."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import click

from bot.corpus import CorpusError, load_corpus
from bot.settings import Settings


def devtool(name: str, command: str) -> ModuleType:
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


def settings_and_corpus():
    settings = Settings.from_env()
    try:
        return settings, load_corpus(settings.corpus_dir, settings.rubrics_dir)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
