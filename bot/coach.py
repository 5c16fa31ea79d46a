"""Coach sign-in: a password from BOT_COACH_PASSWORD, or membership in the Hugging Face
organisation BOT_COACH_ORG (on a Space with sign-in enabled). Without either, there is no coach."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.errors import InterviewError
from bot.text import clean_line

log = logging.getLogger(__name__)
MAX_COACH_NAME_CHARS = 60


class SignInPaused(InterviewError):
    """Too many wrong passwords lately: no attempt is checked until the window moves on."""


class FailureLog(Protocol):
    """Where wrong passwords are counted: SessionStore keeps them in SQLite, so a restart resets nothing."""

    def add_sign_in_failure(self, at: float, caller: str, keep_after: float) -> None: ...

    def sign_in_failures(self, since: float) -> list[tuple[float, str]]: ...


class MemoryFailureLog:
    """Failures in memory (tests, and a CoachAuth built without a store)."""

    def __init__(self) -> None:
        self._failures: list[tuple[float, str]] = []

    def add_sign_in_failure(self, at: float, caller: str, keep_after: float) -> None:
        self._failures = [f for f in self._failures if f[0] >= keep_after] + [(at, caller)]

    def sign_in_failures(self, since: float) -> list[tuple[float, str]]:
        return [f for f in self._failures if f[0] >= since]


class SignInThrottle:
    """Wrong coach passwords over a sliding window, per caller (its network address) and in total.
    Past either limit every password attempt is refused without being checked, the right one too,
    until the oldest failure leaves the window: a guesser gets `per_caller` tries per window from
    one address and `overall` from any number, however many connections it opens.

    The caller's address is the one the server saw: X-Forwarded-For is believed only from the
    proxies in BOT_TRUSTED_PROXIES (uvicorn's FORWARDED_ALLOW_IPS, set by app.py). With a `log`
    (the session store) the count survives a restart; the clock is wall-clock time for that."""

    def __init__(self, per_caller: int = 5, overall: int = 30, window_s: float = 600.0,
                 clock: Callable[[], float] = time.time, log: FailureLog | None = None) -> None:
        self.per_caller, self.overall, self.window_s, self.clock = per_caller, overall, window_s, clock
        self.log: FailureLog = log if log is not None else MemoryFailureLog()
        self._lock = threading.Lock()

    def check(self, caller: str | None) -> None:
        """Raise SignInPaused when `caller` (or everyone) has used up the window's attempts."""
        with self._lock:
            now = self.clock()
            failures = [f for f in self.log.sign_in_failures(now - self.window_s) if now - f[0] < self.window_s]
            mine = [t for t, who in failures if who == (caller or "?")]
            blocking = mine[-self.per_caller] if len(mine) >= self.per_caller else None
            if len(failures) >= self.overall:
                blocking = max(blocking or 0.0, failures[-self.overall][0])
        if blocking is not None:
            minutes = math.ceil((blocking + self.window_s - now) / 60)
            raise SignInPaused(f"Too many wrong coach passwords were tried; password sign-in is paused for "
                               f"{minutes} more minute{'s' if minutes != 1 else ''}.")

    def failed(self, caller: str | None) -> None:
        with self._lock:
            now = self.clock()
            self.log.add_sign_in_failure(now, caller or "?", now - self.window_s)


def hf_orgs(token: str) -> set[str]:
    """The organisations of the Hugging Face user holding `token` (the Hub's whoami API)."""
    from huggingface_hub import whoami

    return {org["name"] for org in whoami(token=token).get("orgs", []) if org.get("name")}


@dataclass(frozen=True)
class CoachAuth:
    password: str | None = field(default=None, repr=False)
    org: str | None = None
    org_lookup: Callable[[str], set[str]] = hf_orgs  # tests pass a fake: the Hub is not reachable here
    throttle: SignInThrottle = field(default_factory=SignInThrottle, compare=False, repr=False)

    def by_password(self, attempt: str | None, name: str | None, caller: str | None = None) -> str | None:
        """The coach's label when `attempt` is the password, else None; SignInPaused when `caller`
        (a network address) or everyone has had too many wrong attempts lately."""
        if not self.password or not attempt:
            return None
        self.throttle.check(caller)
        if not hmac.compare_digest(attempt.encode(), self.password.encode()):
            self.throttle.failed(caller)
            log.warning("a coach sign-in with a wrong password was refused (from %s)", caller or "an unknown address")
            return None
        label = clean_line(name)[:MAX_COACH_NAME_CHARS]
        return label or "coach"

    def by_org(self, token: str | None, username: str | None) -> str | None:
        """`hf:<username>` when the signed-in Hugging Face user belongs to the coach organisation."""
        if not self.org or not token or not username:
            return None
        try:
            orgs = self.org_lookup(token)
        except Exception as exc:  # the Hub is down or the token expired: no coach, say why in the log
            log.warning("could not list the Hugging Face organisations of %s: %s", username, exc)
            return None
        return f"hf:{username}" if self.org in orgs else None
