"""Build the app from Settings and launch it (also the Hugging Face Spaces entry point)."""

from __future__ import annotations

import logging
import threading

from bot.corpus import CorpusError
from bot.services import build_interview
from bot.settings import Settings, storage_warning
from bot.store import StoreError
from bot.ui.layout import build_demo

log = logging.getLogger("app")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        interview = build_interview(settings)
    except (CorpusError, StoreError, ValueError) as exc:  # a setting or a file to fix: one sentence, no traceback
        raise SystemExit(f"The app cannot start: {exc}") from None
    warning = storage_warning(settings)
    if warning:
        log.warning(warning)
    if interview.transcriber is not None:  # warm the speech model so the first recording is quick
        threading.Thread(target=_warm, args=(interview.transcriber,), daemon=True).start()
    demo = build_demo(interview, notice=warning)
    demo.queue(default_concurrency_limit=4).launch(server_name=settings.host, server_port=settings.port,
                                                   max_file_size="50mb")


def _warm(transcriber) -> None:
    try:
        transcriber.load()
    except Exception as exc:  # the app still works typed-only; the reason shows on first recording
        log.warning("speech model not loaded: %s", exc)


if __name__ == "__main__":
    main()
