"""Build the app from Settings and launch it (also the Hugging Face Spaces entry point)."""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import threading
from pathlib import Path

from bot.coach import CoachAuth, SignInThrottle
from bot.errors import BotError
from bot.services import build_interview, limit_threads
from bot.settings import Settings, offline_models, storage_warning
from bot.store import StoreError

log = logging.getLogger("app")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    offline_models()
    tune_gradio()
    try:
        settings = Settings.from_env()
        private_temp_dir(settings)
        limit_threads(settings.threads_per_request)
        interview = build_interview(settings)
    except (BotError, StoreError, ValueError, OSError) as exc:  # a setting or a file to fix: one sentence
        raise SystemExit(f"The app cannot start: {exc}") from None
    removed = interview.remove_orphan_recordings()
    if removed:
        log.info("removed %d recording file(s) no answer points at", removed)
    warning = storage_warning(settings)
    if warning:
        log.warning(warning)
    if interview.transcriber is not None:  # warm the speech model so the first recording is quick
        threading.Thread(target=_warm, args=(interview.transcriber,), daemon=True).start()
    hf_login = _hf_login(settings)
    if settings.coach_org and not hf_login:
        log.warning("BOT_COACH_ORG is set, but coaches can only prove membership on a Space with Hugging Face "
                    "sign-in (hf_oauth: true); set BOT_COACH_PASSWORD to use the Coach tab here.")
    from bot.ui.layout import build_demo  # Gradio is imported only now, after GRADIO_TEMP_DIR is set

    auth = CoachAuth(settings.coach_password, settings.coach_org, throttle=SignInThrottle(log=interview.store))
    demo = build_demo(interview, auth, hf_login, notice=warning)
    # No allowed_paths: nothing beside the database is served as a file. A recording is replayed by
    # a handler that checks its owner (or the coach) and hands Gradio the samples, which it writes
    # into its own cache as a WAV (docs/security.md). No run history (it kept every input, the
    # coach password too, in the browser's localStorage) and no /monitoring page.
    quiet_queue(demo.queue(default_concurrency_limit=settings.requests_at_once)).launch(
        server_name=settings.host, server_port=settings.port, max_file_size=f"{settings.max_upload_mb}mb",
        run_history=False, footer_links=["api", "gradio", "settings"], enable_monitoring=False)


def private_temp_dir(settings: Settings) -> Path:
    """Gradio's uploads and file cache, and our exports, in a folder only this user can enter (0700),
    emptied at start-up. GRADIO_TEMP_DIR, when set, is used (and made private) instead of the data
    folder's tmp/. Uvicorn believes X-Forwarded-For only from BOT_TRUSTED_PROXIES (none by default;
    uvicorn's own default trusts 127.0.0.1, i.e. any local client could name its own address).
    Both are environment variables the libraries read, so this runs before Gradio is imported."""
    folder = Path(os.environ.get("GRADIO_TEMP_DIR") or settings.temp_dir)
    if not os.environ.get("GRADIO_TEMP_DIR"):
        shutil.rmtree(folder, ignore_errors=True)  # ours alone: what a previous run left
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    os.environ["FORWARDED_ALLOW_IPS"] = settings.trusted_proxies
    return folder


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


QUEUE_POLL_S = 0.01  # how often Gradio's queue looks for work (its own: every millisecond)


def quiet_queue(demo):
    """Gradio's queue looks for a request to start every millisecond, whether it has any or not: 7% of a core
    with no one using the app, and about 5% of the CPU an answer costs under `python -m bot loadtest` (README,
    Speed). Every QUEUE_POLL_S is soon enough when a grade takes a tenth of a second. The attribute is
    Gradio's own (pinned in requirements.txt; tests/test_server.py checks that it is still there)."""
    queue = getattr(demo, "_queue", None)
    if queue is None or not isinstance(getattr(queue, "sleep_when_free", None), float):
        log.warning("Gradio's queue has no sleep_when_free (another Gradio version?): it polls at its own rate.")
        return demo
    queue.sleep_when_free = max(queue.sleep_when_free, QUEUE_POLL_S)
    return demo


def _warm(transcriber) -> None:
    try:
        transcriber.load()
    except Exception as exc:  # the app still works typed-only; the reason shows on first recording
        log.warning("speech model not loaded: %s", exc)


if __name__ == "__main__":
    main()
