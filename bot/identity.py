"""Who a candidate is: an owner key that access is checked on, and a name that is only a label.

On a Space with Hugging Face sign-in the owner is `hf:<username>`. Anywhere else the browser
keeps a random secret token (Gradio's BrowserState, i.e. localStorage) and the owner is
`local:<hash of the token>`: the token never reaches the database, so reading the database or
an export does not let anyone act as that candidate. Two people who both type "Ana" have two
different tokens, so they are two candidates.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from bot.text import clean_line

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
MAX_NAME_CHARS = 80


def clean_name(candidate: str | None) -> str:
    """The display name as stored: spaces collapsed, at most MAX_NAME_CHARS, never empty."""
    return clean_line(candidate)[:MAX_NAME_CHARS] or "anonymous"


@dataclass(frozen=True)
class Identity:
    owner: str
    name: str
    token: str | None = None  # the browser's secret; None when signed in with Hugging Face


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_token(value: object) -> bool:
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def local_owner(token: str) -> str:
    return "local:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def hf_owner(username: str) -> str:
    return f"hf:{username}"


def identify(saved: object, hf_username: str | None = None, hf_name: str | None = None) -> Identity:
    """The caller's identity from what their browser kept (`{"token", "name"}`) or their
    Hugging Face sign-in, which wins. A missing or malformed token gets a fresh one."""
    name = saved.get("name") if isinstance(saved, dict) and isinstance(saved.get("name"), str) else ""
    if hf_username:
        return Identity(hf_owner(hf_username), clean_name(name or hf_name or hf_username))
    token = saved.get("token") if isinstance(saved, dict) else None
    if not is_token(token):
        token = new_token()
    return Identity(local_owner(token), clean_name(name) if name.strip() else "", token)


def anonymous() -> Identity:
    """An identity for a caller that arrived without a browser (an API client): new each time."""
    token = new_token()
    return Identity(local_owner(token), "", token)
