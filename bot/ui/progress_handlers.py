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
from bot.progress import (
    MIN_ANSWERS,
    STRONG_FROM,
    STRONG_SHARE,
    WEAK_BELOW,
    WEAK_SHARE,
    Progress,
    skill_call,
    topic_call,
)
from bot.records import average, short_question, turn_numbers
from bot.speech import SpeechError, read_recording
from bot.text import escape_markdown
from bot.ui.guard import blank, guard

WEAK_TOPICS = 3
CHART_ANSWERS = 30  # the per-answer chart shows the latest answers only, so its labels stay readable
REVIEWS_SHOWN = 5


@dataclass
class ProgressView:
    status: str = ""
    overview: str = ""
    reviews: str = ""  # the notice of coach reviews, their notes included ("" when there are none)
    guidance: str = ""  # strengths and weaknesses by topic and by skill, with counts
    charts_note: str = ""  # what the charts show, or what will appear after more sessions
    by_session: list[dict] = field(default_factory=list)  # label, average: no chart without two sessions
    by_turn: list[dict] = field(default_factory=list)  # label, score, question: no chart without two answers
    topics: list[list] = field(default_factory=list)  # topic, answers, average, call
    skills: list[list] = field(default_factory=list)  # skill, answers, points covered, call
    weak_topics: list[str] = field(default_factory=list)
    sessions: list[tuple[str, str]] = field(default_factory=list)  # (label, session id)


@dataclass
class ReplayView:
    status: str = ""
    transcript: str | None = None  # None leaves the screen as it was
    recordings: list[tuple[str, int]] | None = None
    audio: tuple | None = None  # (sample rate, samples): Gradio serves it from its cache as a WAV


def day(timestamp: str) -> str:
    return timestamp[:16].replace("T", " ")


def session_label(s: dict) -> str:
    average = f"{s['average']:.1f}/10" if s["average"] is not None else "not graded"
    return (f"{day(s['started_at'])} · {s['role']} · {s['level']} · {s.get('mode') or 'practice'} · {average} "
            f"({plural(s['graded'], 'answer')})")


CALLS = {"weak": "to work on", "strong": "strength", "": "", "too early": "too early"}
LISTED = 5  # weak or strong skills listed by name; the table below has them all


def _topic_line(t: dict) -> str:
    return f"{escape_markdown(t['topic'])} (average {t['average']:.1f} over {plural(t['answered'], 'answer')})"


def _skill_line(s: dict) -> str:
    return (f"{escape_markdown(s['skill'])} ({s['covered']} of {plural(s['asked'], 'point')} covered "
            f"over {plural(s['answered'], 'answer')})")


def guidance(p: Progress) -> str:
    """Strengths, weaknesses and what is too early to call, by topic and by skill, with counts."""
    topics = {c: [t for t in p.topics if topic_call(t) == c] for c in ("weak", "strong", "too early")}
    skills = {c: [s for s in p.skills if skill_call(s) == c] for c in ("weak", "strong", "too early")}
    lines = []
    if topics["weak"] or skills["weak"]:
        lines.append("**To work on**")
        lines += [f"- Topic: {_topic_line(t)}" for t in topics["weak"]]
        lines += [f"- Skill: {_skill_line(s)}" for s in skills["weak"][:LISTED]]
        if len(skills["weak"]) > LISTED:
            lines.append(f"- … and {plural(len(skills['weak']) - LISTED, 'more skill')} (the table below)")
    if topics["strong"] or skills["strong"]:
        lines += ["", "**Strengths**"]
        lines += [f"- Topic: {_topic_line(t)}" for t in reversed(topics["strong"])]
        lines += [f"- Skill: {_skill_line(s)}" for s in list(reversed(skills["strong"]))[:LISTED]]
        if len(skills["strong"]) > LISTED:
            lines.append(f"- … and {plural(len(skills['strong']) - LISTED, 'more skill')} (the table below)")
    called = len(p.topics) - len(topics["too early"]) + len(p.skills) - len(skills["too early"])
    if not lines:
        lines.append("Nothing is weak or strong yet: " + (
            "every topic and skill you answered on is in between." if called else
            f"a topic or skill is called weak or strong once you have answered at least {MIN_ANSWERS} "
            "questions on it."))
    early = [t["topic"] for t in topics["too early"]]
    if early:
        shown = ", ".join(escape_markdown(t) for t in early[:8]) + (f" and {len(early) - 8} more" if len(early) > 8 else "")
        lines += ["", f"*Too early to call ({plural(len(early), 'topic')} with one answer): {shown}. "
                  f"Answer {MIN_ANSWERS} questions on a topic and it is called here.*"]
    lines += ["", f"*Weak: a topic averaging below {WEAK_BELOW:g} / 10, or a skill with under "
              f"{WEAK_SHARE:.0%} of its points covered; strong: from {STRONG_FROM:g} / 10, or {STRONG_SHARE:.0%} "
              f"covered; each over at least {MIN_ANSWERS} answers.*"]
    return "\n".join(lines).strip()


def reviews_notice(p: Progress) -> str:
    """A coach's reviews of my answers, newest first, with their notes: not only in the replay."""
    if not p.reviews:
        return ""
    lines = [f"### A coach reviewed {plural(len(p.reviews), 'answer')} of yours"]
    for r in p.reviews[:REVIEWS_SHOWN]:
        score = f"**{r['score']:.1f} / 10**" if r["score"] is not None else "score unchanged"
        note = f" — “{escape_markdown(r['note'])}”" if r["note"] else ""
        lines.append(f"- {escape_markdown(r['coach'])}, {day(r['created_at'])} UTC, on answer {r['number']} of your "
                     f"session of {day(r['started_at'])} (“{escape_markdown(r['question'])}”): {score}{note}")
    if len(p.reviews) > REVIEWS_SHOWN:
        lines.append(f"- … and {len(p.reviews) - REVIEWS_SHOWN} earlier")
    lines.append("\nReplay a session below to see a review beside the AI's grade.")
    return "\n".join(lines)


def charts(p: Progress) -> tuple[list[dict], list[dict], str]:
    """The chart rows, and a sentence for what is not charted yet (a chart of one point says nothing)."""
    by_session = [{"label": f"{i} · {s['started_at'][5:10]}", "average": s["average"]}
                  for i, s in enumerate(p.sessions, 1)] if len(p.sessions) >= 2 else []
    latest = p.turns[-CHART_ANSWERS:]
    by_turn = [{"label": str(t["n"]), "score": t["score"], "question": t["question"]} for t in latest] \
        if len(p.turns) >= 2 else []
    if not by_turn:
        note = ("After your second graded answer, a chart of your scores answer by answer appears here; "
                "after your second session, one of your average per session.")
    elif not by_session:
        note = "After your second session, a chart of your average per session appears here."
    elif len(p.turns) > CHART_ANSWERS:
        note = f"The answer chart shows your latest {CHART_ANSWERS} answers."
    else:
        note = ""
    return by_session, by_turn, note


@guard(blank(ProgressView))
def progress(history: History, owner: str | None) -> ProgressView:
    sessions = history.sessions(owner)
    if not sessions:
        return ProgressView(overview="No sessions yet: practise a few questions and your progress shows here.",
                            charts_note="Your scores over time appear here after two graded answers.")
    p = history.progress(owner)
    graded = len(p.turns)
    overview = (f"**{plural(len(sessions), 'session')}**, **{plural(graded, 'graded answer')}**"
                + (f", average **{average([t['score'] for t in p.turns]):.1f} / 10**" if graded else ""))
    if p.overridden:
        overview += (f". A coach's score replaced the AI's on {plural(p.overridden, 'answer')} "
                     "in these figures")
    by_session, by_turn, note = charts(p)
    reviewed = {r["session_id"] for r in p.reviews}
    return ProgressView(
        overview=overview + ".", reviews=reviews_notice(p), guidance=guidance(p) if graded else "",
        charts_note=note, by_session=by_session, by_turn=by_turn,
        topics=[[t["topic"], t["answered"], f"{t['average']:.1f}", CALLS[topic_call(t)]] for t in p.topics],
        skills=[[s["skill"], s["answered"], f"{s['covered']} of {s['asked']}", CALLS[skill_call(s)]]
                for s in p.skills],
        weak_topics=p.weak_topics(WEAK_TOPICS),
        sessions=[(session_label(s) + (" · reviewed by a coach" if s["session_id"] in reviewed else ""),
                   s["session_id"]) for s in sessions])


@guard(blank(ReplayView))
def replay(history: History, owner: str | None, session_id: str | None) -> ReplayView:
    if not session_id:
        raise InterviewError("Choose one of your past sessions first.")
    record = history.replay(owner, session_id)
    numbers = turn_numbers(record["turns"])
    spoken = [(f"{numbers[t['turn_id']]}. {short_question(t['question'], 70)}", t["turn_id"])
              for t in record["turns"] if t["audio_path"]]
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
