"""User-facing errors live in one leaf module; what only needs an error does not load the machinery."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_errors_is_a_leaf_and_the_old_names_still_import() -> None:
    tree = ast.parse((ROOT / "bot" / "errors.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("bot")], imported
    from bot import errors
    from bot.corpus import CorpusError
    from bot.export import ExportError
    from bot.interview import InterviewError
    from bot.speech import SpeechError
    from bot.store import StoreError

    assert InterviewError is errors.UserError and issubclass(InterviewError, ValueError)
    for cls in (CorpusError, ExportError, SpeechError, StoreError):
        assert issubclass(cls, errors.BotError) and cls.__module__ == "bot.errors"


def test_modules_below_the_ui_do_not_import_the_interview_for_an_error() -> None:
    for name in ("identity", "coach", "history", "review"):
        source = (ROOT / "bot" / f"{name}.py").read_text()
        assert "from bot.interview" not in source, name


def test_importing_identity_loads_neither_faiss_nor_numpy() -> None:
    probe = "import bot.identity, sys; assert 'faiss' not in sys.modules and 'numpy' not in sys.modules"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
