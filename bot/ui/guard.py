"""The one wrapper for every UI handler: a problem becomes a sentence on the screen, never a traceback.

A `BotError` (bot/errors.py) carries the sentence to show as it is; anything else is logged with
its traceback and the person sees `unexpected`. What the handler returns instead is its view's
business: the Practice tab keeps what the candidate typed (bot/ui/handlers.py), the Progress and
Coach tabs show the sentence on an otherwise empty view (`blank`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import BotError

log = logging.getLogger(__name__)
T = TypeVar("T")
OUR_SIDE = "Something went wrong on our side. Try again."


def guard(fallback: Callable[..., T], unexpected: str = OUR_SIDE) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Call the handler; on a problem return `fallback(status, *args, **kwargs)`, where `status` is
    the sentence to show ("⚠️ ...") and the rest are the handler's own arguments."""
    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            try:
                return fn(*args, **kwargs)
            except BotError as exc:
                return fallback(f"⚠️ {exc}", *args, **kwargs)
            except Exception:
                log.exception("handler %s failed", fn.__name__)
                return fallback(f"⚠️ {unexpected}", *args, **kwargs)
        return wrapper
    return decorate


def blank(view: Callable[..., T]) -> Callable[..., T]:
    """A fallback that shows only the sentence: `view(status=sentence)`, e.g. an empty ProgressView."""
    def fallback(status: str, *_: Any, **__: Any) -> T:
        return view(status=status)
    return fallback


def drop_refused_upload(recording: str | None, uploads: Path | None, refused: bool) -> None:
    """A recording that was refused is deleted where Gradio put it (never anything outside `uploads`)."""
    if recording and uploads is not None and refused:
        path = Path(recording).resolve()
        if path.is_relative_to(Path(uploads).resolve()):
            path.unlink(missing_ok=True)
