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
from bot.records import SessionRecord, SessionRow, SessionSummary
from bot.store import SessionFilter, SessionStore

NOT_YOURS = "That session is not one of yours; choose one from your list of past sessions."


class History:
    def __init__(self, store: SessionStore, corpus: Corpus) -> None:
        self.store, self.corpus = store, corpus

    def sessions(self, owner: str | None) -> list[SessionSummary]:
        """The caller's sessions, newest first."""
        if not owner:
            return []
        return [s for s in self.store.find_sessions(SessionFilter(owner=owner)) if not _interviewing(s)]

    def progress(self, owner: str | None) -> Progress:
        sessions = self.sessions(owner)
        return compute(self.store.session_records([s["session_id"] for s in sessions]), self.corpus,
                       {s["session_id"]: s["mode"] for s in sessions})

    def replay(self, owner: str | None, session_id: str | None) -> SessionRecord:
        record = self.store.session_record(session_id) if owner and session_id else None
        if record is None or record["owner"] != owner:
            raise InterviewError(NOT_YOURS)
        session = self.store.session(record["session_id"])
        if session is not None and _interviewing(session):
            raise InterviewError("That mock interview is still running: its grades come on its report card "
                                 "when it ends.")
        return record

    def recording(self, owner: str | None, session_id: str | None, turn_id: int | None) -> Path | None:
        return recording_of(self.replay(owner, session_id), turn_id)


def recording_of(record: SessionRecord, turn_id: int | None) -> Path | None:
    """The kept recording of one turn of `record`, when it still exists on disk."""
    turn = next((t for t in record["turns"] if t["turn_id"] == turn_id), None)
    if turn is None:
        raise InterviewError("That answer is not part of this session; choose one from the list.")
    path = Path(turn["audio_path"]) if turn["audio_path"] else None
    return path if path is not None and path.is_file() else None


def _interviewing(session: SessionRow | SessionSummary) -> bool:
    """A mock interview still running: its grades stay out of sight until its report card."""
    return session["mode"] == "interview" and not session["ended_at"]
