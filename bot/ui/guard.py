"""One wrapper for the Progress and Coach handlers: a problem becomes a sentence, never a traceback."""

from __future__ import annotations

import functools
import logging

from bot.errors import BotError

log = logging.getLogger(__name__)


def guard(empty):
    """Call the handler; on a problem the user can act on, return `empty(status=sentence)`."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except BotError as exc:
                return empty(status=f"⚠️ {exc}")
            except Exception:
                log.exception("handler %s failed", fn.__name__)
                return empty(status="⚠️ Something went wrong on our side. Try again.")
        return wrapper
    return decorate
