"""The Progress tab as plain functions: my figures, my past sessions, replaying one of them.

`owner` always comes from server-side state (bot/ui/layout.py), never from the request; a
session id that is not the caller's gets a sentence and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import InterviewError
from bot.export import plural, session_markdown
from bot.history import History
from bot.records import average
from bot.speech import SpeechError, read_recording
from bot.ui.guard import blank, guard

WEAK_TOPICS = 3


@dataclass
class ProgressView:
    status: str = ""
    overview: str = ""
    by_session: list[dict] = field(default_factory=list)
    by_turn: list[dict] = field(default_factory=list)
    topics: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    missed: list[list] = field(default_factory=list)
    weak_topics: list[str] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (label, session id)


@dataclass
class ReplayView:
    status: str = ""
    transcript: str | None = None  # None leaves the screen as it was
    recordings: list[tuple[str, int]] | None = None
    audio: tuple | None = None  # (sample rate, samples): Gradio serves it from its cache as a WAV


def session_label(s: dict) -> str:
    average = f"{s['average']:.1f}/10" if s["average"] is not None else "not graded"
    return (f"{s['started_at'][:16].replace('T', ' ')} · {s['role']} · {s['level']} · {average} "
            f"({plural(s['graded'], 'answer')})")


@guard(blank(ProgressView))
def progress(history: History, owner: str | None) -> ProgressView:
    sessions = history.sessions(owner)
    if not sessions:
        return ProgressView(overview="No sessions yet: practise a few questions and your progress shows here.")
    p = history.progress(owner)
    graded = len(p.turns)
    overview = (f"**{plural(len(sessions), 'session')}**, **{plural(graded, 'graded answer')}**"
                + (f", average **{average([t['score'] for t in p.turns]):.1f} / 10**" if graded else ""))
    if p.overridden:
        overview += (f". A coach reviewed {plural(p.overridden, 'answer')}: their score replaces the AI's "
                     "in these figures")
    weak = p.weak_topics(WEAK_TOPICS)
    if weak:
        overview += ".\n\n**Weakest topics:** " + ", ".join(
            f"{t['topic']} ({t['average']:.1f})" for t in p.topics[:WEAK_TOPICS])
    return ProgressView(
        overview=overview, by_session=p.sessions, by_turn=p.turns, topics=p.topics, categories=p.categories,
        missed=[[m["point"], m["missed"], m["asked"]] for m in p.missed[:15]], weak_topics=weak,
        sessions=[(session_label(s), s["session_id"]) for s in sessions])


@guard(blank(ReplayView))
def replay(history: History, owner: str | None, session_id: str | None) -> ReplayView:
    if not session_id:
        raise InterviewError("Choose one of your past sessions first.")
    record = history.replay(owner, session_id)
    spoken = [(f"{t['turn_number']}. {t['question_id']}", t["turn_id"]) for t in record["turns"] if t["audio_path"]]
    return ReplayView(transcript=session_markdown(record), recordings=spoken)


@guard(blank(ReplayView))
def recording(history: History, owner: str | None, session_id: str | None, turn_id: int | None) -> ReplayView:
    path: Path | None = history.recording(owner, session_id, turn_id)
    if path is None:
        return ReplayView(status="The recording of that answer is no longer on the server.")
    return ReplayView(audio=playable(path))


def playable(path: Path) -> tuple:
    """A kept recording as samples for the page (the file itself is never served)."""
    try:
        return read_recording(path)
    except SpeechError:
        raise InterviewError("That recording cannot be played back: it is not audio we can read.") from None
