"""Build the app from Settings and launch it (also the Hugging Face Spaces entry point)."""

from __future__ import annotations

import logging

from bot.services import build_interview
from bot.settings import Settings
from bot.ui.layout import build_demo


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    demo = build_demo(build_interview(settings))
    demo.queue(default_concurrency_limit=4).launch(server_name=settings.host, server_port=settings.port)


if __name__ == "__main__":
    main()
