"""A candidate's own history: past sessions, replay and progress — only ever their own.

Every read takes the caller's owner key (from server-side state, never from a request) and
refuses a session that belongs to someone else with the same sentence as one that does not
exist, so a guessed id tells nothing.
"""

from __future__ import annotations

from pathlib import Path

from bot.corpus import Corpus
from bot.errors import InterviewError
from bot.progress import Progress, compute
from bot.store import SessionFilter, SessionStore

NOT_YOURS = "That session is not one of yours; choose one from your list of past sessions."


class History:
    def __init__(self, store: SessionStore, corpus: Corpus) -> None:
        self.store, self.corpus = store, corpus

    def sessions(self, owner: str | None) -> list[dict]:
        """The caller's sessions, newest first."""
        if not owner:
            return []
        return with_modes(self.store, [s for s in self.store.find_sessions(SessionFilter(owner=owner))
                                       if s["ended_at"] or not self._interviewing(s["session_id"])])

    def _interviewing(self, session_id: str) -> bool:
        """A mock interview still running: its grades stay out of sight until its report card."""
        session = self.store.session(session_id)
        return bool(session) and session.get("mode") == "interview" and not session["ended_at"]

    def progress(self, owner: str | None) -> Progress:
        ids = [s["session_id"] for s in self.sessions(owner)]
        return compute(self.store.session_records(ids), self.corpus, self.store.session_modes(ids))

    def replay(self, owner: str | None, session_id: str | None) -> dict:
        record = self.store.session_record(session_id) if owner and session_id else None
        if record is None or record["owner"] != owner:
            raise InterviewError(NOT_YOURS)
        if self._interviewing(record["session_id"]):
            raise InterviewError("That mock interview is still running: its grades come on its report card "
                                 "when it ends.")
        return record

    def recording(self, owner: str | None, session_id: str | None, turn_id: int | None) -> Path | None:
        return recording_of(self.replay(owner, session_id), turn_id)


def recording_of(record: dict, turn_id: int | None) -> Path | None:
    """The kept recording of one turn of `record`, when it still exists on disk."""
    turn = next((t for t in record["turns"] if t["turn_id"] == turn_id), None)
    if turn is None:
        raise InterviewError("That answer is not part of this session; choose one from the list.")
    path = Path(turn["audio_path"]) if turn["audio_path"] else None
    return path if path is not None and path.is_file() else None


def with_modes(store: SessionStore, sessions: list[dict]) -> list[dict]:
    """Session rows (SessionStore.find_sessions) with their mode, "practice" when none was kept."""
    modes = store.session_modes([s["session_id"] for s in sessions])
    return [{**s, "mode": s.get("mode") or modes.get(s["session_id"]) or "practice"} for s in sessions]
