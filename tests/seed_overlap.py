"""Find runs of N consecutive words that a YAML file shares with a seed document.

Run directly while writing the corpus: python tests/seed_overlap.py corpus/x.yaml rubrics/x.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
RUN = 12


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def ngrams(tokens: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def seed_ngrams(n: int = RUN) -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for seed in sorted(SEEDS.glob("*.txt")):
        grams |= ngrams(words(seed.read_text(encoding="utf-8")), n)
    return grams


def shared_runs(text: str, seeds: set[tuple[str, ...]], n: int = RUN) -> list[str]:
    return sorted({" ".join(g) for g in ngrams(words(text), n) & seeds})


if __name__ == "__main__":
    grams = seed_ngrams()
    bad = 0
    for arg in sys.argv[1:]:
        for run in shared_runs(Path(arg).read_text(encoding="utf-8"), grams):
            bad += 1
            print(f"{arg}: shares with a seed: {run!r}")
    print(f"{bad} shared runs of {RUN} words")
    sys.exit(1 if bad else 0)
