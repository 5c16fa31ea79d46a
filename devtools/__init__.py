"""Developer tools: the load test, the benchmarks, the grader's evaluation, the app in a child process.

They live beside the `bot` package, not in it: the wheel holds `bot*` only (pyproject.toml), so an
installed app carries none of them, and they may read what only a checkout has (tests/fixtures,
app.py). `python -m bot bench`, `loadtest`, `eval` and `grader fit` import them when run from a
checkout and say so in a sentence when they are missing (bot/cli_support.py).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout: app.py, tests/, devtools/
