"""Build the app from Settings and launch it (also the Hugging Face Spaces entry point)."""

from __future__ import annotations

import importlib.util
import logging
import os
import threading

from bot.coach import CoachAuth
from bot.corpus import CorpusError
from bot.services import build_interview, limit_threads
from bot.settings import Settings, storage_warning
from bot.store import StoreError
from bot.ui.layout import build_demo

log = logging.getLogger("app")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    tune_gradio()
    try:
        settings = Settings.from_env()
        limit_threads(settings.threads_per_request)
        interview = build_interview(settings)
    except (CorpusError, StoreError, ValueError) as exc:  # a setting or a file to fix: one sentence, no traceback
        raise SystemExit(f"The app cannot start: {exc}") from None
    warning = storage_warning(settings)
    if warning:
        log.warning(warning)
    if interview.transcriber is not None:  # warm the speech model so the first recording is quick
        threading.Thread(target=_warm, args=(interview.transcriber,), daemon=True).start()
    hf_login = _hf_login(settings)
    if settings.coach_org and not hf_login:
        log.warning("BOT_COACH_ORG is set, but coaches can only prove membership on a Space with Hugging Face "
                    "sign-in (hf_oauth: true); set BOT_COACH_PASSWORD to use the Coach tab here.")
    demo = build_demo(interview, CoachAuth(settings.coach_password, settings.coach_org), hf_login,
                      notice=warning)
    # Recordings are replayed from beside the database; Gradio serves a file outside its cache only
    # from `allowed_paths` (each path holds a random 128-bit session id, known to its owner and coaches).
    demo.queue(default_concurrency_limit=max(1, settings.concurrency)).launch(
        server_name=settings.host, server_port=settings.port, max_file_size="50mb",
        allowed_paths=[str(settings.audio_dir)])


def _hf_login(settings: Settings) -> bool:
    """Hugging Face sign-in when the Space enables it and gradio[oauth]'s libraries are installed."""
    if not settings.hf_login:
        return False
    missing = [m for m in ("authlib", "itsdangerous") if importlib.util.find_spec(m) is None]
    if missing:
        log.warning("Hugging Face sign-in is enabled on this Space but %s is not installed "
                    "(add gradio[oauth] to requirements.txt); candidates use their browser identity.",
                    ", ".join(missing))
        return False
    return True


def tune_gradio() -> None:
    """Two per-request costs in Gradio's queue, found under `python -m bot loadtest`, set off
    (before the queue is built; a value already in the environment wins):
    - after every request it rebuilds a pandas summary of all the events it keeps (up to 10,000)
      for a monitoring page this app does not enable: 6 ms a request at first, 20 ms once full;
    - it wraps every request in matplotlib's "agg" backend, and finding the default backend
      first imports pyplot (0.5 s, holding the event loop) unless the backend is named."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    os.environ.setdefault("MPLBACKEND", "agg")


def _warm(transcriber) -> None:
    try:
        transcriber.load()
    except Exception as exc:  # the app still works typed-only; the reason shows on first recording
        log.warning("speech model not loaded: %s", exc)


if __name__ == "__main__":
    main()
