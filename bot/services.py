"""Build the running parts from Settings; each part can be passed in instead (tests do)."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.assessor import Assessor
from bot.corpus import Corpus, load_corpus
from bot.embeddings import Embedder, SentenceTransformerEmbedder, VectorCache
from bot.grading import FallbackGrader, Grader
from bot.grading.claim_grader import ClaimGrader
from bot.grading.claims import (
    CheckerEnsemble,
    ClaimChecker,
    ClaimCheckerError,
    ClaimCheckerMissing,
)
from bot.grading.llm import LLMGrader, make_client
from bot.grading.rubric import RubricGrader
from bot.index import RubricIndex
from bot.interview import Interview
from bot.settings import Settings
from bot.speech import Transcriber
from bot.store import SessionStore

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedding model as the app runs it (its name and precision from the settings)."""
    return SentenceTransformerEmbedder(settings.embedding_model, settings.precision)


def build_offline_grader(embedder: Embedder, corpus: Corpus | None = None, kind: str = "claims",
                         precision: str = "auto", checker: Path | None = None,
                         ensemble: str | None = None) -> Grader:
    """The offline grader: with kind "claims" (the default) the claim-checking grader for bank
    questions, blended with the calibrated rubric grader (which grades the rest: Mohler, short
    references); with kind "rubric" the rubric grader alone (BOT_OFFLINE_GRADER=rubric). Without the
    claim checker's weights the rubric grader grades alone; weights that fail their checksum stop
    the start with a sentence saying what to do. `precision`: the checker's (claims.py); `checker`: a
    folder that `grader train --out` wrote, instead of the shipped weights (BOT_CLAIM_CHECKER; it must
    hold a checker, or the start stops with a sentence)."""
    rubric = RubricGrader(embedder)
    if corpus is None or kind != "claims":
        return rubric
    try:
        first, flags = load_checkers(checker, ensemble, precision)
    except ClaimCheckerMissing as exc:
        log.warning("%s Grading with the rubric grader alone.", exc)
        return rubric
    return ClaimGrader(embedder, corpus, first, rubric, flag_checker=flags)


def load_checkers(folder: Path | None = None, ensemble: str | None = None,
                  precision: str = "auto") -> tuple[ClaimChecker | CheckerEnsemble, ClaimChecker | None]:
    """The claim checker and the one that reads red flags (None: the same), shipped or from `folder`
    (BOT_CLAIM_CHECKER), with BOT_CLAIM_ENSEMBLE's change; ClaimCheckerMissing without the shipped weights."""
    first = ClaimChecker.from_folder(folder, precision) if folder is not None else ClaimChecker.load(precision=precision)
    reads, flags = with_ensemble(first, ensemble, precision)
    if flags is None and (not ensemble or ensemble.startswith("points-")):  # else the ensemble reads them too
        flags = ClaimChecker.flags_in(folder, precision)
        if flags is None and folder is not None:  # easy to miss when a refined points' checker is measured (session 37)
            log.warning("BOT_CLAIM_CHECKER=%s holds no red-flag checker, so its points' checker reads the red flags "
                        "too; copy bot/grading/flag_checker.* there to keep the shipped one.", folder)
    return reads, flags


# what BOT_CLAIM_ENSEMBLE can name: every pair read by both ("mean", "geometric": session 20), or the red flags read
# by the folder's checker instead ("flags") or beside the app's, the surer kept ("flags-max"; session 28), or the points
# alone read by both and averaged, the red flags by the flag checker as in the app ("points-mean"; session 33), or with
# only their P(contradicts) averaged ("points-con-mean")
ENSEMBLE_MODES = ("mean", "geometric", "flags", "flags-max", "points-mean", "points-con-mean")


def with_ensemble(checker: ClaimChecker, ensemble: str | None,
                  precision: str) -> tuple[ClaimChecker | CheckerEnsemble, ClaimChecker | None]:
    """The checker and the one that reads red flags (None: the same). With BOT_CLAIM_ENSEMBLE=MODE:FOLDER that folder's
    checker reads beside it (CheckerEnsemble); with flags:FOLDER it reads the red flags instead (session 28)."""
    if not ensemble:
        return checker, None
    how, _, folder = ensemble.partition(":")
    if not folder or how not in ENSEMBLE_MODES:  # said before a second model is loaded for nothing
        raise ClaimCheckerError(f"BOT_CLAIM_ENSEMBLE={ensemble!r} should read MODE:FOLDER, MODE one of "
                                f"{', '.join(ENSEMBLE_MODES)}.")
    other = ClaimChecker.from_folder(Path(folder), precision)
    if how.startswith("points-"):
        return CheckerEnsemble([checker, other], how.removeprefix("points-")), None
    if how == "flags-max":  # both read the red flags, the surer reading of each kept
        return checker, CheckerEnsemble([checker, other], "max")
    return (checker, other) if how == "flags" else (CheckerEnsemble([checker, other], how), None)


def build_grader(settings: Settings, embedder: Embedder, corpus: Corpus | None = None, llm: bool = True) -> Grader:
    """The LLM grader (falling back to the offline one) when an LLM is configured, else offline."""
    offline = build_offline_grader(embedder, corpus, settings.offline_grader, settings.precision,
                                   settings.claim_checker, settings.claim_ensemble)
    if not (llm and settings.llm_configured):
        return offline
    client = make_client(settings.openai_api_key, settings.openai_base_url,
                         settings.llm_timeout_s, settings.llm_max_retries)
    return FallbackGrader(LLMGrader(client, settings.llm_model or ""), offline)  # its deadline follows the client


def build_assessor(settings: Settings, *, embedder: Embedder | None = None,
                   grader: Grader | None = None, llm: bool = True) -> Assessor:
    """The corpus, its index and the grader, sharing one VectorCache over the embedding model: the
    index pins the corpus's word vectors in it and the graders read them from it."""
    corpus = load_corpus(settings.corpus_dir, settings.rubrics_dir)
    vectors = VectorCache(embedder or build_embedder(settings))
    index = RubricIndex.open(corpus, vectors, settings.cache)
    return Assessor(corpus, index, grader or build_grader(settings, vectors, corpus, llm))


def build_interview(settings: Settings, *, embedder: Embedder | None = None, grader: Grader | None = None,
                    store: SessionStore | None = None, transcriber: Transcriber | None = None) -> Interview:
    """The whole session service; the speech model loads on first use (app.py warms it).

    The store opens first, so a database that cannot be written stops the start before any model loads."""
    store = store or SessionStore(settings.database)
    return Interview(
        build_assessor(settings, embedder=embedder, grader=grader),
        store,
        settings.audio_dir,
        max_answer_chars=settings.max_answer_chars,
        transcriber=transcriber or Transcriber(settings.speech_model, cache_dir=settings.cache,
                                               max_seconds=settings.max_audio_seconds,
                                               max_bytes=settings.max_upload_mb << 20),
        max_stored_answer_chars=settings.max_stored_answer_chars,
    )


def limit_threads(threads: int) -> None:
    """Gradio grades several answers at once on its worker threads; if each one also spreads over
    every core the CPU is oversubscribed, and the idle workers of OpenMP and OpenBLAS spin-wait
    and burn it. torch, FAISS and numpy each bring such pools; threadpoolctl caps every one that
    is loaded (so they are imported first). With one thread per request the app answers faster and
    uses less CPU per answer (`python -m bot loadtest`, README's Speed section)."""
    import faiss  # noqa: F401  (loads its OpenMP and OpenBLAS, so the limit below reaches them)
    import numpy  # noqa: F401
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(max(1, threads))
    threadpool_limits(limits=max(1, threads))
