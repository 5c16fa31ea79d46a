"""Coach sign-in: a password from BOT_COACH_PASSWORD, or membership in the Hugging Face
organisation BOT_COACH_ORG (on a Space with sign-in enabled). Without either, there is no coach."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
MAX_COACH_NAME_CHARS = 60


def hf_orgs(token: str) -> set[str]:
    """The organisations of the Hugging Face user holding `token` (the Hub's whoami API)."""
    from huggingface_hub import whoami

    return {org["name"] for org in whoami(token=token).get("orgs", []) if org.get("name")}


@dataclass(frozen=True)
class CoachAuth:
    password: str | None = field(default=None, repr=False)
    org: str | None = None
    org_lookup: Callable[[str], set[str]] = hf_orgs  # tests pass a fake: the Hub is not reachable here

    @property
    def configured(self) -> bool:
        return bool(self.password or self.org)

    def by_password(self, attempt: str | None, name: str | None) -> str | None:
        """The coach's label when `attempt` is the password, else None."""
        if not self.password or not attempt:
            return None
        if not hmac.compare_digest(attempt.encode(), self.password.encode()):
            log.warning("a coach sign-in with a wrong password was refused")
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
