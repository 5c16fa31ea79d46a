"""One practice session: ask -> answer -> grade -> follow up, every step kept in the store.

The service keeps no session state of its own: everything is read back from SQLite, so a
restarted app carries on where the candidate left off.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.assessor import Assessor, Feedback, answer_notices, level_note, other_ways
from bot.attempts import Step, attempt, labels, may_show_model_answer, offered_follow_ups
from bot.corpus import ROLES, Level, Question
from bot.delivery import Delivery, advice, measure
from bot.errors import InterviewError, SpeechError
from bot.grading import FollowUp, Grade
from bot.grading.mcq import option_label, parse_choice
from bot.identity import MAX_NAME_CHARS, clean_name  # noqa: F401 (re-exported)
from bot.picker import pick_question
from bot.records import SessionRow, TurnRow, average, missed_points
from bot.speech import Transcriber, write_wav
from bot.store import SessionStore
from bot.text import INVISIBLE_CHARS, clean_answer

log = logging.getLogger(__name__)
RESUME_WITHIN = timedelta(hours=24)  # an unfinished session older than this is not picked up again
ENDED = ("This session has ended, so it stays as it is: its answers and summary are kept. "
         "Press Start (or Next question) for a new session.")


@dataclass(frozen=True)
class AskedTurn:
    session_id: str
    turn_id: int
    number: int
    question: Question
    prompt: str
    kind: str  # "question" or "follow_up"
    label: str = ""  # "3" for the third question (or retry), "3a", "3b" for its follow-ups
    level: str | None = None  # the level the candidate chose for the session
    retry_of: str | None = None  # a retry: the label of the attempt it retries
    level_note: str = ""  # why a question of another level than the chosen one is asked (level_note)


@dataclass(frozen=True)
class Spoken:
    """A transcribed recording: the text for the answer box, and how it was delivered."""

    text: str
    delivery: Delivery
    advice: str


@dataclass(frozen=True)
class Resumed:
    """An unfinished session read back from the store: each turn asked, with its answer and grade."""

    session_id: str
    role: str
    level: str
    turns: list[tuple[AskedTurn, str | None, Grade | None]]
    last: Feedback | None  # the feedback on the last turn, when it is graded
    draft: str | None = None  # what was typed for the last turn but not submitted


@dataclass(frozen=True)
class Summary:
    session_id: str
    answered: int
    average: float | None
    turns: list[dict]  # seq, label ("3a"), question_id, question (the text asked), kind, score, grader
    weakest: list[str]


def too_long(length: int, limit: int) -> InterviewError:
    return InterviewError(f"Your answer is {length:,} characters long; answers are kept up to {limit:,} characters. "
                          "Nothing was saved: shorten it (it is still in the box) and submit again.")


class Interview:
    def __init__(self, assessor: Assessor, store: SessionStore, audio_dir: Path, *, max_answer_chars: int = 8000,
                 transcriber: Transcriber | None = None, max_stored_answer_chars: int = 20_000) -> None:
        """`audio_dir` is where recordings are kept (Settings.audio_dir: beside the database)."""
        self.assessor, self.store = assessor, store
        self.corpus, self.grader = assessor.corpus, assessor.grader
        self.max_answer_chars = max_answer_chars
        self.max_stored_answer_chars = max_stored_answer_chars
        self._grading: set[int] = set()  # turns being graded now (one grade per answer)
        self._grading_lock = threading.Lock()
        self.transcriber = transcriber
        self.audio_dir = Path(audio_dir)

    # starting and asking ------------------------------------------------------------------

    def start(self, candidate: str, role: str, level: str, topics: set[str] | None = None,
              owner: str | None = None, question_id: str | None = None, *, mode: str = "practice",
              rules: dict | None = None) -> AskedTurn:
        """A new session for `owner` (the key access is checked on; `candidate` is the name shown).
        With `topics`, every question of the session is drawn from those topics while any are left.
        With `question_id`, the session opens on that question (tests, `python -m bot` tools);
        later questions are picked as usual. `mode` "interview" is a mock interview (bot/mock.py),
        whose `rules` (question count, timers) are kept in the session's settings."""
        name = clean_name(candidate)
        first = self.corpus.questions.get(question_id) if question_id is not None else None
        if question_id is not None and first is None:
            raise InterviewError(f"There is no question {question_id!r}; pick one from the question bank.")
        if role not in ROLES:
            raise InterviewError(f"Choose a role from the list ({', '.join(ROLES)}).")
        try:
            lvl = Level(level)
        except ValueError:
            raise InterviewError("Choose a level: junior, mid, senior or expert.") from None
        settings: dict = {"grader_model": self.grader.model, **(rules or {})}
        if topics:
            settings["topics"] = sorted(topics)
        session_id = self.store.create_session(name, role, lvl.value, self.grader.kind, settings, owner,
                                             mode=mode)
        turn = (self._ask(session_id, first, first.text, "question", level=lvl.value) if first
                else self.next_question(session_id, topics))
        if turn is None:
            raise InterviewError(f"There are no questions for {role} yet.")
        return turn

    def next_question(self, session_id: str, topics: set[str] | None = None) -> AskedTurn | None:
        """The next question; none the owner was asked in their earlier sessions for this role
        while the role's questions at this level last (picker.pick_question)."""
        session = self._open(session_id)
        if topics is None:  # a session started on chosen topics keeps to them
            topics = set(session["settings"].get("topics", [])) or None
        asked = [t["question_id"] for t in self.store.turns(session_id) if t["kind"] == "question"]
        earlier = self.store.questions_asked_by(session["owner"], session["role"], session_id) if session.get(
            "owner") else set()
        rng = random.Random(f"{session_id}:{len(asked)}")
        q = pick_question(self.corpus, session["role"], Level(session["level"]), asked, rng, topics, earlier=earlier)
        if q is None:
            return None
        return self._ask(session_id, q, q.text, "question", level=session["level"])

    def steps(self, session_id: str) -> list[Step]:
        """The session's turns as the attempt rules see them (bot/attempts.py), in order."""
        rows = self.store.turns(session_id)
        grades = self.store.grades_for([r["id"] for r in rows])
        return [Step(r["id"], r["kind"], r["parent_turn_id"], r["question_id"], r["prompt"], r["answer"],
                     grades.get(r["id"]) if r["answer"] is not None else None, bool(r.get("model_answer_shown_at")))
                for r in rows]

    def offered_follow_ups(self, session_id: str, turn_id: int) -> list[FollowUp]:
        """The follow-ups still worth asking on the attempt `turn_id` belongs to (bot/attempts.py)."""
        self._turn(session_id, turn_id)
        group = attempt(self.steps(session_id), turn_id)
        rubric = self.corpus.rubrics.get(group[0].question_id)
        return offered_follow_ups(group, rubric.points if rubric else [])

    def follow_up(self, session_id: str, turn_id: int, choice: int = 0) -> AskedTurn:
        """Ask follow-up number `choice` of those still offered on the current (graded) turn's attempt."""
        session, turn = self._session_turn(session_id, turn_id)
        self._refuse_ended(session)
        steps = self.steps(session_id)
        if not next(s for s in steps if s.turn_id == turn_id).answered:
            raise InterviewError("Answer the question first; follow-ups come with the feedback.")
        group = attempt(steps, turn_id)
        if group[0].model_answer_shown:
            raise InterviewError("You have seen the model answer, so this question's follow-ups are closed: "
                                 "take the next question, or retry this one.")
        offered = offered_follow_ups(group, self.corpus.rubrics[turn["question_id"]].points)
        if not offered:
            raise InterviewError("There are no follow-up questions left on this answer; take the next question instead.")
        fu = offered[min(max(choice, 0), len(offered) - 1)]
        question = self.corpus.questions[turn["question_id"]]
        return self._ask(session_id, question, fu.text, "follow_up", group[0].turn_id, fu.point_ids,
                         level=session["level"])

    def retry(self, session_id: str, turn_id: int) -> AskedTurn:
        """The question of the attempt `turn_id` belongs to, asked again as a new turn (both are kept)."""
        session, _ = self._session_turn(session_id, turn_id)
        self._refuse_ended(session)
        first = attempt(self.steps(session_id), turn_id)[0]
        if not first.answered:
            raise InterviewError("Answer the question first; then you can retry it.")
        question = self.corpus.questions[first.question_id]
        return self._ask(session_id, question, question.text, "question", first.turn_id, level=session["level"])

    def show_model_answer(self, session_id: str, turn_id: int) -> str:
        """The model answer of the attempt `turn_id` belongs to, once its question is graded. Asking
        for it closes the attempt's follow-ups: a waiting one counts as skipped."""
        self._turn(session_id, turn_id)
        group = attempt(self.steps(session_id), turn_id)
        if not may_show_model_answer(group):
            raise InterviewError("Answer the question first: its model answer is shown once your answer is graded.")
        self.store.show_model_answer(group[0].turn_id)
        return self.corpus.rubrics[group[0].question_id].model_answer

    def save_draft(self, session_id: str, turn_id: int, text: str) -> bool:
        """Keep what is in the answer box for a turn not yet answered (restored on resume); False
        when there is nothing to keep it for (an ended session, an answered turn)."""
        session, _ = self._session_turn(session_id, turn_id)
        if session["ended_at"]:
            return False
        draft = INVISIBLE_CHARS.sub("", text or "")[: 2 * self.max_stored_answer_chars]
        return self.store.save_draft(turn_id, draft)

    def _ask(self, session_id: str, q: Question, prompt: str, kind: str,
             parent: int | None = None, focus: list[str] | None = None, level: str | None = None) -> AskedTurn:
        turn_id = self.store.add_turn(session_id, q.id, prompt, kind, parent, focus)
        steps = self.steps(session_id)
        names = labels(steps)
        retry_of = names.get(parent) if kind == "question" and parent else None
        return AskedTurn(session_id, turn_id, len(steps), q, prompt, kind, names[turn_id], level, retry_of,
                         level_note(q, self.corpus.rubrics[q.id], level))

    def resume(self, owner: str | None, now: datetime | None = None) -> Resumed | None:
        """The owner's newest session, when it is unfinished and began within RESUME_WITHIN: after
        a reload or a restart of the app the candidate carries on where they left off (the
        session lives in the store, not in the page)."""
        session = self.store.latest_session(owner) if owner else None
        if session is None or session["ended_at"] or session["mode"] != "practice":
            return None  # a mock interview resumes in its own tab (bot/mock.py)
        if (now or datetime.now(UTC)) - datetime.fromisoformat(session["started_at"]) > RESUME_WITHIN:
            return None
        record = self.store.session_record(session["id"])  # every turn with its latest grade, in one read
        rows = record["turns"] if record else []
        names = labels(self.steps(session["id"]))
        turns: list[tuple[AskedTurn, str | None, Grade | None]] = []
        for row in rows:
            question = self.corpus.questions.get(row["question_id"])
            if question is None:  # the question bank changed since: start afresh
                return None
            grade = Grade.model_validate(row["grade"]) if row["grade"] and row["answer"] is not None else None
            parent = row["parent_turn_id"]
            turns.append((AskedTurn(session["id"], row["turn_id"], row["turn_number"], question, row["question"],
                                    row["kind"], names.get(row["turn_id"], str(row["turn_number"])),
                                    session["level"], names.get(parent) if row["kind"] == "question" and parent
                                    else None, level_note(question, self.corpus.rubrics[question.id],
                                                          session["level"])), row["answer"], grade))
        if not turns:
            return None
        asked, _, grade = turns[-1]
        last = None
        if grade is not None:
            spoken = Delivery(**rows[-1]["delivery"]) if rows[-1]["delivery"] else None
            rubric = self.corpus.rubrics[asked.question.id]
            last = Feedback(asked.turn_id, asked.question, grade, [], rubric.model_answer, spoken,
                            other_ways(rubric, grade))
        draft = None
        if turns[-1][1] is None:
            draft = (self.store.turn(asked.turn_id) or {}).get("draft") or None
        return Resumed(session["id"], session["role"], session["level"], turns, last, draft)

    # answering ----------------------------------------------------------------------------

    def transcribe(self, session_id: str, turn_id: int, recording: Path) -> Spoken:
        """Check and decode the recording, transcribe it, then keep it beside the database.

        Nothing is kept until the recording has decoded as audio within the limits and produced
        words; what is kept is our own re-encoding (16 kHz mono WAV) under a name the server
        chooses, one per turn (a retry replaces the earlier one). The upload is never kept."""
        session, _ = self._session_turn(session_id, turn_id)
        self._refuse_ended(session)
        if self.transcriber is None:
            raise InterviewError("Spoken answers are not enabled on this server; type your answer instead.")
        recording = Path(recording)
        if not recording.is_file():
            raise InterviewError("The recording did not arrive; record or upload it again.")
        try:
            audio = self.transcriber.decode(recording)
            transcript = self.transcriber.transcribe_samples(audio)
        except SpeechError as exc:
            raise InterviewError(str(exc)) from None
        kept = write_wav(audio, self.recording_path(session_id, turn_id))
        self.store.save_recording(turn_id, str(kept))
        delivery = measure(transcript.words)
        self.store.save_transcript(turn_id, transcript.text, asdict(delivery))
        return Spoken(transcript.text, delivery, advice(delivery))

    def recording_path(self, session_id: str, turn_id: int) -> Path:
        """Where a turn's recording is kept: a name the server chose, never the upload's."""
        return self.audio_dir / session_id / f"turn-{int(turn_id)}.wav"

    def remove_orphan_recordings(self) -> int:
        """Delete files in the audio folder no turn points at (earlier retries, failed uploads kept by
        older versions, temporary files of a crash); returns how many went."""
        if not self.audio_dir.is_dir():
            return 0
        kept = {str(Path(p).resolve()) for p in self.store.recording_paths()}
        removed = 0
        for path in self.audio_dir.rglob("*"):
            if path.is_file() and str(path.resolve()) not in kept:
                path.unlink(missing_ok=True)
                removed += 1
        for folder in sorted((d for d in self.audio_dir.rglob("*") if d.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
        return removed

    @contextmanager
    def _only_grader(self, turn_id: int) -> Iterator[None]:
        """One submit per turn at a time: a second press (or a second tab) gets a sentence, not a
        second grade. Gradio runs every handler in this one process, so a set under a lock is enough."""
        with self._grading_lock:
            if turn_id in self._grading:
                raise InterviewError("This answer is being graded already; its feedback is on the way.")
            self._grading.add(turn_id)
        try:
            yield
        finally:
            with self._grading_lock:
                self._grading.discard(turn_id)

    def submit(self, session_id: str, turn_id: int, answer: str) -> Feedback:
        """Save the answer, then grade it. The answer is kept even when grading fails."""
        session, turn = self._session_turn(session_id, turn_id)
        self._refuse_ended(session)
        answer = answer or ""
        if len(answer) > 2 * self.max_stored_answer_chars:  # refused before the work of cleaning it
            raise too_long(len(answer), self.max_stored_answer_chars)
        text = clean_answer(answer)
        if len(text) > self.max_stored_answer_chars:
            raise too_long(len(text), self.max_stored_answer_chars)
        with self._only_grader(turn_id):
            return self._grade_turn(session, turn, answer, text)

    def _grade_turn(self, session: SessionRow, turn: TurnRow, answer: str, text: str) -> Feedback:
        turn_id = turn["id"]
        if self.store.grade_for(turn_id) is not None:  # read after the claim: a grade just saved counts
            raise InterviewError("This question is already answered; pick a follow-up or the next question.")
        if not text:
            raise InterviewError("Your answer is empty: type (or record) an answer, or take the next question.")
        if not any(c.isalnum() for c in text):
            raise InterviewError("Your answer has no words in it, only symbols or emoji: type (or record) an "
                                 "answer, or take the next question.")
        question = self.corpus.questions[turn["question_id"]]
        if turn["kind"] == "question" and question.options and parse_choice(question, text) is None:
            self.store.save_draft(turn_id, answer)  # asked again, not graded: what was typed is kept
            raise InterviewError(f"That is not one of the options: answer with a letter from A to "
                                 f"{option_label(len(question.options) - 1)} (or an option's text). Your answer is "
                                 "still in the box; if you are unsure, pick your best guess.")
        if turn["kind"] != "question" and attempt(self.steps(session["id"]), turn_id)[0].model_answer_shown:
            raise InterviewError("You have seen the model answer, so this follow-up is closed (skipped): "
                                 "take the next question, or retry this one.")
        self.store.save_answer(turn_id, text)

        rubric = self.corpus.rubrics[question.id]
        points = rubric.expected_points(Level(session["level"]))
        if turn["focus_point_ids"]:
            points = [p for p in rubric.points if p.id in turn["focus_point_ids"]] or points
        asked = question if turn["kind"] == "question" else question.model_copy(
            update={"text": f"{question.text}\nFollow-up: {turn['prompt']}"})

        graded_text, notices = text, answer_notices(answer, text, self.max_answer_chars)
        if len(text) > self.max_answer_chars:
            graded_text = text[: self.max_answer_chars]
        started = time.perf_counter()
        try:
            grade, hints = self.assessor.grade_answer(asked, points, graded_text, follow_up=turn["kind"] != "question")
        except Exception as exc:
            log.exception("grading turn %s failed", turn_id)
            raise InterviewError("Your answer is saved, but it could not be graded just now "
                                 f"({type(exc).__name__}); press Submit again to retry.") from None
        grade = grade.model_copy(update={"notices": [*notices, *grade.notices]})
        self.store.save_grade(turn_id, grade, hints,
                              (time.perf_counter() - started) * 1000)
        spoken = Delivery(**turn["delivery"]) if turn.get("delivery") else None
        return Feedback(turn_id, question, grade, hints, rubric.model_answer, spoken, other_ways(rubric, grade))

    # ending -------------------------------------------------------------------------------

    def end(self, session_id: str) -> Summary:
        """End the session; its summary reads final scores and missed points as Progress does
        (bot/records.py): one score per graded turn, a coach's override included."""
        if not self._session(session_id)["ended_at"]:  # ending twice keeps the first end
            self.store.end_session(session_id)
        record = self.store.session_record(session_id)
        names = labels(self.steps(session_id))
        graded = [t for t in (record["turns"] if record else []) if t["final_score"] is not None]
        missed: dict[str, int] = {}
        for t in graded:
            for text in missed_points(t):
                missed[text] = missed.get(text, 0) + 1
        weakest = [text for text, _ in sorted(missed.items(), key=lambda kv: -kv[1])[:3]]
        turns = [{"seq": t["turn_number"], "label": names.get(t["turn_id"], str(t["turn_number"])),
                  "question_id": t["question_id"], "question": t["question"], "kind": t["kind"],
                  "score": t["final_score"], "grader": t["grade"]["grader"]} for t in graded]
        return Summary(session_id, len(graded), average([t["final_score"] for t in graded]), turns, weakest)

    # lookups ------------------------------------------------------------------------------

    def _session(self, session_id: str) -> SessionRow:
        session = self.store.session(session_id) if session_id else None
        if session is None:
            raise InterviewError("No practice session is running; press Start to begin one.")
        return session

    def _open(self, session_id: str) -> SessionRow:
        """The session, refused once it has ended (an ended session is read-only)."""
        session = self._session(session_id)
        self._refuse_ended(session)
        return session

    @staticmethod
    def _refuse_ended(session: SessionRow) -> None:
        if session["ended_at"]:
            raise InterviewError(ENDED)

    def is_ended(self, session_id: str) -> bool:
        """The session exists and has ended."""
        session = self.store.session(session_id) if session_id else None
        return bool(session and session["ended_at"])

    def _turn(self, session_id: str, turn_id: int) -> TurnRow:
        return self._session_turn(session_id, turn_id)[1]

    def _session_turn(self, session_id: str, turn_id: int) -> tuple[SessionRow, TurnRow]:
        session = self._session(session_id)
        turn = self.store.turn(turn_id) if turn_id else None
        if turn is None or turn["session_id"] != session_id:
            raise InterviewError("That question is not part of this session; take the next question.")
        return session, turn
