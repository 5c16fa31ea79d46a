"""The claim checker's second-reading flags for every bank point, read ahead of time and shipped.

Before the app believes a contradiction of a point it asks two things about the point itself
(claim_grader.py): does the checker misread the point's own examples (`ClaimGrader.trusted`), and the
question's model answer (`ClaimGrader.misreads_model_answer`)? Each answer is read once per point and
kept, but the first answer that meets a point pays for it: up to seven more pairs and the model
answer's embedding. This table holds both readings for every point with examples, so a fresh process
starts with them (`python -m bot bench`: grade p95).

A reading depends on what it was read with and from, so the table keeps one set of readings per setup
(the checker's weights and precision, the embedding model and its precision, and the width batches are
padded to, which moves bfloat16 readings a little: bot/frozen.py) and keys each reading by
a hash of its inputs (the claim and examples; the question, its model answer and the claim). A point
edited since, another checker or a setup not in the table is read as before, the first time it is
needed. `python -m bot grader untrusted --write` adds the running setup's readings (and drops those of
other weights); run it once per precision (BOT_PRECISION=float32 and bfloat16).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from bot.corpus import Question, Rubric
from bot.frozen import PAD_TO

log = logging.getLogger(__name__)

TRUST_PATH = Path(__file__).with_name("claim_trust.json")


def setup_name(weights_sha256: str, checker_precision: str, embedding_model: str, embedding_precision: str,
               pad_to: int = PAD_TO) -> str:
    return "|".join([weights_sha256, checker_precision, embedding_model, embedding_precision, f"pad{pad_to}"])


def setup_key(checker, embedder) -> str:
    """What the readings were made with: the checker's weights and arithmetic, the embedding model and its, and the
    batches' padding."""
    import torch

    dtype = next(checker.model.parameters()).dtype
    return setup_name(str(checker.record.get("weights_sha256", "")), "bfloat16" if dtype == torch.bfloat16 else "float32",
                      str(embedder.name), str(embedder.precision))


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]


def examples_key(claim: str, examples: list[str] | tuple[str, ...]) -> str:
    return _digest("examples", claim, list(examples))


def model_key(question: Question, rubric: Rubric, claim: str) -> str:
    return _digest("model-answer", question.text, rubric.model_answer, claim)


def load_readings(setup: str, path: Path = TRUST_PATH) -> dict[str, bool]:
    """{input hash: reading} for this setup; nothing when the table is absent, unreadable or from elsewhere."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        readings = table.get("setups", {}).get(setup, {})
        return {str(k): bool(v) for k, v in readings.items()}
    except (OSError, ValueError, AttributeError) as exc:
        if path.exists():
            log.warning("The checker's reading table %s cannot be read (%s); points are read as answers need them.",
                        path, exc)
        return {}


def write_readings(setup: str, readings: dict[str, bool], path: Path = TRUST_PATH) -> None:
    """Put this setup's readings in the table, keeping other setups of the same weights."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    weights = setup.split("|", 1)[0]
    setups = {k: v for k, v in table.get("setups", {}).items() if k.split("|", 1)[0] == weights}
    setups[setup] = dict(sorted(readings.items()))
    table = {"about": "ClaimGrader.trusted and misreads_model_answer per point, by setup and input hash "
                      "(bot/grading/trust.py); rebuilt by `python -m bot grader untrusted --write`",
             "setups": dict(sorted(setups.items()))}
    path.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
