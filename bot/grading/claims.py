"""The claim checker: does a span of the answer *state* a hypothesis (a rubric point's idea or a
red flag's claim), *contradict* it, or neither? It reads the two together, word by word.

Design: a small attention-comparison network (in the manner of decomposable attention / ESIM)
over the contextual word vectors that the app's own embedder (all-MiniLM-L6-v2) already computes
for every answer sentence and caches for every point. Each word of the hypothesis is aligned,
by attention, with the words of the span and compared with what it aligned to (and the other
way round); the comparisons are pooled and classified as neutral / entails / contradicts. The
encoder stays frozen, so grading costs no extra transformer pass: the answer goes through
MiniLM once, as before, and the comparison adds about a millisecond per pair.

Why not a fine-tuned cross-encoder (tried first): on this shared 2-core machine fine-tuning
MiniLM as a cross-encoder ran at under 10 pairs a second (an hour and more per pass over the
training pairs), and every (point, span) pair would need its own transformer pass at grading
time (about 40 ms each, one thread). See docs/grading.md.

Weights: one safetensors file beside this module, its sha256 in the training record
(`claim_checker.json`), checked at load. The app never trains and never downloads.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embeddings import TokenVectors

log = logging.getLogger(__name__)

WEIGHTS_PATH = Path(__file__).with_name("claim_checker.safetensors")
RECORD_PATH = Path(__file__).with_name("claim_checker.json")
DIM = 384  # all-MiniLM-L6-v2's word vectors
MAX_WORDS = 64  # word rows per text that the checker reads


class ClaimCheckerError(RuntimeError):
    """The claim checker's weights cannot be used; the message says what to do."""


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


def build_network(hidden: int = 128):
    """The comparison network (torch imported here: the module loads without it)."""
    import torch
    from torch import nn

    class ClaimNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.project = nn.Sequential(nn.Linear(DIM, hidden), nn.GELU())
            self.compare = nn.Sequential(nn.Linear(4 * hidden, hidden), nn.GELU(), nn.Dropout(0.1),
                                         nn.Linear(hidden, hidden), nn.GELU())
            self.classify = nn.Sequential(nn.Dropout(0.1), nn.Linear(4 * hidden + 1, hidden), nn.GELU(),
                                          nn.Linear(hidden, 3))

        def forward(self, h, h_mask, p, p_mask, h_sent, p_sent):
            a, b = self.project(h), self.project(p)  # (B, n, d), (B, m, d)
            scores = a @ b.transpose(1, 2) / hidden ** 0.5  # (B, n, m)
            big = torch.finfo(scores.dtype).min
            to_p = torch.softmax(scores.masked_fill(~p_mask[:, None, :], big), dim=2) @ b  # what each h word aligns to
            to_h = torch.softmax(scores.masked_fill(~h_mask[:, :, None], big), dim=1).transpose(1, 2) @ a
            ch = self.compare(torch.cat([a, to_p, a - to_p, a * to_p], dim=-1))
            cp = self.compare(torch.cat([b, to_h, b - to_h, b * to_h], dim=-1))

            def pool(x, mask):
                m = mask[..., None].float()
                mean = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
                return mean, x.masked_fill(~mask[..., None], big).max(1).values

            hm, hx = pool(ch, h_mask)
            pm, px = pool(cp, p_mask)
            cos = (h_sent * p_sent).sum(-1, keepdim=True)
            return self.classify(torch.cat([hm, hx, pm, px, cos], dim=-1))

    return ClaimNet()


def batch_tensors(hyps: list[TokenVectors], prems: list[TokenVectors]):
    """Padded word matrices, masks and sentence vectors for a batch of pairs."""
    import torch

    def pad(tvs: list[TokenVectors]):
        n = max(1, max(min(len(t.vectors), MAX_WORDS) for t in tvs))
        x = np.zeros((len(tvs), n, DIM), np.float32)
        mask = np.zeros((len(tvs), n), bool)
        for i, t in enumerate(tvs):
            k = min(len(t.vectors), MAX_WORDS)
            x[i, :k] = t.vectors[:k]
            mask[i, :k] = True
            if k == 0:
                mask[i, 0] = True
        return torch.from_numpy(x), torch.from_numpy(mask)

    h, hm = pad(hyps)
    p, pm = pad(prems)
    hs = torch.from_numpy(np.vstack([t.sentence for t in hyps]).astype(np.float32))
    ps = torch.from_numpy(np.vstack([t.sentence for t in prems]).astype(np.float32))
    return h, hm, p, pm, hs, ps


def join_tokens(first: TokenVectors, second: TokenVectors) -> TokenVectors:
    """A window of two sentences: their words in order, their sentence vectors averaged."""
    s = first.sentence + second.sentence
    return TokenVectors(s / max(float(np.linalg.norm(s)), 1e-12), first.words + second.words,
                        np.vstack([first.vectors, second.vectors]))


class ClaimChecker:
    """P(neutral, entails, contradicts) for (hypothesis, premise) pairs given as word vectors."""

    def __init__(self, net, thresholds: Thresholds, record: dict | None = None) -> None:
        self.net, self.thresholds, self.record = net.eval(), thresholds, record or {}

    @classmethod
    def load(cls, weights: Path = WEIGHTS_PATH, record_path: Path = RECORD_PATH) -> ClaimChecker:
        """Load the shipped weights after checking their sha256 against the training record."""
        if not weights.is_file() or not record_path.is_file():
            raise ClaimCheckerMissing(
                f"The claim checker's weights ({weights.name} and {record_path.name}) are missing; run "
                "`python -m bot grader train` to build them from the rubrics.")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        actual = sha256_file(weights)
        if actual != record.get("weights_sha256"):
            raise ClaimCheckerError(
                f"The claim checker's weights {weights} do not match their training record (sha256 {actual[:12]}... "
                f"instead of {str(record.get('weights_sha256'))[:12]}...); the file was changed or damaged. "
                "Restore it from the repository or rebuild it with `python -m bot grader train`.")
        from safetensors.torch import load_file

        net = build_network(int(record.get("settings", {}).get("hidden", 128)))
        net.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
        return cls(net, Thresholds(**record.get("thresholds", {})), record)

    def probabilities(self, hyps: list[TokenVectors], prems: list[TokenVectors]) -> np.ndarray:
        """One row per pair: P(neutral), P(entails), P(contradicts)."""
        if not hyps:
            return np.zeros((0, 3), dtype=np.float32)
        import torch

        with torch.inference_mode():
            logits = self.net(*batch_tensors(hyps, prems))
        return torch.softmax(logits.float(), dim=-1).numpy()


def save_weights(net, path: Path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().to("cpu").float().contiguous() for k, v in net.state_dict().items()}, str(path))
