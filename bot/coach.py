"""Coach sign-in: a password from BOT_COACH_PASSWORD, or membership in the Hugging Face
organisation BOT_COACH_ORG (on a Space with sign-in enabled). Without either, there is no coach."""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.errors import InterviewError

log = logging.getLogger(__name__)
MAX_COACH_NAME_CHARS = 60


class SignInPaused(InterviewError):
    """Too many wrong passwords lately: no attempt is checked until the window moves on."""


class SignInThrottle:
    """Wrong coach passwords over a sliding window, per caller (its network address) and in total.
    Past either limit every password attempt is refused without being checked, the right one too,
    until the oldest failure leaves the window: a guesser gets `per_caller` tries per window from
    one address and `overall` from any number, however many connections it opens."""

    def __init__(self, per_caller: int = 5, overall: int = 30, window_s: float = 600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_caller, self.overall, self.window_s, self.clock = per_caller, overall, window_s, clock
        self._failures: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def check(self, caller: str | None) -> None:
        """Raise SignInPaused when `caller` (or everyone) has used up the window's attempts."""
        with self._lock:
            now = self.clock()
            while self._failures and now - self._failures[0][0] >= self.window_s:
                self._failures.popleft()
            mine = [t for t, who in self._failures if who == (caller or "?")]
            blocking = mine[-self.per_caller] if len(mine) >= self.per_caller else None
            if len(self._failures) >= self.overall:
                blocking = max(blocking or 0.0, self._failures[-self.overall][0])
        if blocking is not None:
            minutes = math.ceil((blocking + self.window_s - now) / 60)
            raise SignInPaused(f"Too many wrong coach passwords were tried; password sign-in is paused for "
                               f"{minutes} more minute{'s' if minutes != 1 else ''}.")

    def failed(self, caller: str | None) -> None:
        with self._lock:
            self._failures.append((self.clock(), caller or "?"))


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

    @property
    def configured(self) -> bool:
        return bool(self.password or self.org)

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
        label = " ".join((name or "").split())[:MAX_COACH_NAME_CHARS]
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
