"""Build the app from Settings and launch it (also the Hugging Face Spaces entry point)."""

from __future__ import annotations

import logging
import threading

from bot.services import build_interview
from bot.settings import Settings
from bot.ui.layout import build_demo


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    limit_threads(settings.threads_per_request)
    interview = build_interview(settings)
    if interview.transcriber is not None:  # warm the speech model so the first recording is quick
        threading.Thread(target=_warm, args=(interview.transcriber,), daemon=True).start()
    demo = build_demo(interview)
    demo.queue(default_concurrency_limit=max(1, settings.concurrency)).launch(
        server_name=settings.host, server_port=settings.port, max_file_size="50mb")


def limit_threads(threads: int) -> None:
    """Gradio grades several answers at once on its worker threads; if each one also spreads over
    every core (torch and FAISS both use OpenMP) the CPU is oversubscribed and OpenMP's waiting
    threads burn it. With one thread per request the app answered faster and used less CPU per
    answer (`python -m bot loadtest`, figures in the README's Speed section)."""
    import faiss
    import torch

    torch.set_num_threads(max(1, threads))
    faiss.omp_set_num_threads(max(1, threads))


def _warm(transcriber) -> None:
    try:
        transcriber.load()
    except Exception as exc:  # the app still works typed-only; the reason shows on first recording
        logging.getLogger(__name__).warning("speech model not loaded: %s", exc)


if __name__ == "__main__":
    main()
