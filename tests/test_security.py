"""Issue 12's findings, one test each, as plain functions (the real app on 127.0.0.1, and Chromium,
are in tests/test_security_server.py). Each test failed on the code before the fix."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from bot.coach import CoachAuth, SignInThrottle
from bot.export import csv_cell, render, sessions_csv
from bot.grading import FalseClaim, FollowUp, Grade, Grader, PointGrade, Verdict
from bot.history import History
from bot.interview import InterviewError
from bot.privatefiles import PrivateFiles
from bot.review import Review
from bot.services import build_interview
from bot.settings import ROOT, Settings
from bot.ui import coach_handlers, handlers, progress_handlers
from bot.ui.handlers import View

AUDIO = Path(__file__).resolve().parent / "fixtures" / "audio"
PASSWORD = "correct horse battery staple"
BEACON = "http://127.0.0.1:9"  # nothing listens there; a request to it would be a beacon
HOSTILE_NAME = f'Eve <img src="{BEACON}/name.png"> \u202egnp.exe'
HOSTILE_TEXT = "\n".join([
    "Embeddings map words to dense vectors so that similar words sit close together.",
    f'<img src="{BEACON}/answer.png" onerror="alert(1)">',
    f'<form action="{BEACON}/steal"><input type="password" name="pw"><button>Confirm</button></form>',
    '<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:9999">overlay</div>',
    "# AI grade: 10.0 / 10 (coach verified)",
    f"![beacon]({BEACON}/md.png) [click]({BEACON}/link) $$x$$",
])


# plain functions -------------------------------------------------------------------------------

class HostileGrader(Grader):
    """An LLM that echoes the candidate's HTML back in every field it writes (and grades slowly)."""

    kind, model = "llm", "hostile-test-model"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0

    def grade(self, question, rubric_points, answer, red_flags=()) -> Grade:
        self.calls += 1
        time.sleep(self.delay_s)
        points = [PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.partial,
                             evidence=HOSTILE_TEXT.splitlines()[1]) for p in rubric_points]
        return Grade(score=5.0, points=points, strengths=[HOSTILE_TEXT], gaps=[HOSTILE_TEXT],
                     follow_ups=[FollowUp(text=HOSTILE_TEXT, point_ids=[])], grader="llm", model=self.model,
                     notices=[HOSTILE_TEXT.splitlines()[4]],
                     false_claims=[FalseClaim(quote=HOSTILE_TEXT.splitlines()[1], fact=HOSTILE_TEXT)])


@pytest.fixture
def hostile(settings, embedder):
    grader = HostileGrader()
    return build_interview(settings, embedder=embedder, grader=grader), grader


def open_question(interview, view: View) -> View:
    while interview.corpus.questions[interview.store.turn(view.turn_id)["question_id"]].options:
        view = handlers.next_question(interview, view)
    return view


def html_of(markdown: str) -> str:
    """What a Markdown renderer that passes HTML through (as Gradio's does, before sanitising) makes of it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def assert_inert(where: str, markdown: str) -> None:
    out = html_of(markdown)
    tags = re.findall(r"<(\w+)([^>]*)>", out)  # real tags only: escaped ones read &lt;img ...
    assert not [t for t, _ in tags if t in ("img", "form", "input", "button", "div", "a", "script", "style")], (where, tags)
    assert not [a for _, a in tags if a.strip()], (where, tags)  # no attributes at all (src, style, href, ...)
    assert not re.search(r"<h\d>[^<]*AI grade: 10", out), (where, out[:500])
    assert "$$x$$" not in markdown, where  # no LaTeX from user text either
    assert "\u202e" not in markdown, where


def test_every_view_shows_user_text_as_text(hostile) -> None:
    interview, _ = hostile
    owner = "local:hostile"
    shown: dict[str, str] = {}
    view = open_question(interview, handlers.start(interview, View(None, None, []), HOSTILE_NAME,
                                                   "embedding-engineer", "mid", owner=owner))
    graded = handlers.submit(interview, view, HOSTILE_TEXT)
    assert graded.status == "", graded.status
    for field in ("score", "points", "notes", "status"):
        shown[f"feedback.{field}"] = getattr(graded, field)
    asked = handlers.follow_up(interview, graded, 0)  # the LLM's follow-up becomes the next question
    shown["chat"] = "\n\n".join(m["content"] for m in asked.chat)
    resumed = handlers.resume(interview, owner)
    shown["resumed chat"] = "\n\n".join(m["content"] for m in resumed.chat)

    auth = CoachAuth(password=PASSWORD)
    signed = coach_handlers.sign_in(auth, PASSWORD, HOSTILE_NAME)
    shown["coach sign-in"] = signed.status
    review = Review(interview.store)
    opened = coach_handlers.open_session(review, signed.coach, view.session_id)
    shown["coach transcript"] = opened.transcript
    saved = coach_handlers.save_override(review, signed.coach, view.session_id, view.turn_id, view.turn_id, [],
                                         HOSTILE_TEXT, "4", [])
    assert saved.status.startswith("Saved"), saved.status
    shown["coach transcript after review"] = saved.transcript
    shown["coach answer detail"] = coach_handlers.open_turn(review, signed.coach, view.session_id, view.turn_id).turn
    shown["exported markdown"] = render([review.record(signed.coach, view.session_id)], "md")
    history = History(interview.store, interview.corpus)
    shown["progress replay"] = progress_handlers.replay(history, owner, view.session_id).transcript
    mine = progress_handlers.progress(history, owner)
    shown["progress overview"] = mine.overview
    shown["progress coach reviews"] = mine.reviews  # the coach's note, shown to the candidate
    assert mine.reviews, "the coach's review should be on the Progress tab"
    shown["progress guidance"] = mine.guidance
    shown["summary"] = handlers.end(interview, asked).summary

    for where, markdown in shown.items():
        assert_inert(where, markdown)
    # ... and the words are still all there, to be read
    assert "AI grade: 10.0 / 10 (coach verified)" in html_of(shown["coach transcript"])
    assert "&lt;img src=" in html_of(shown["coach transcript"])
    record = interview.store.session_record(view.session_id)
    assert record["candidate"] == "Eve <img src=\"http://127.0.0.1:9/name.png\"> gnp.exe"  # no bidi override kept


def test_a_lone_surrogate_and_bidi_controls_are_removed_and_the_answer_saved(hostile) -> None:
    interview, _ = hostile
    view = open_question(interview, handlers.start(interview, View(None, None, []), "Zed\ud800 \u202eAna\u2066",
                                                   "embedding-engineer", "mid"))
    answer = "Embeddings\ud800 map words to \u202edense vectors\u2069 that sit close when similar."
    after = handlers.submit(interview, view, answer)
    assert after.status == "", after.status  # before: UnicodeEncodeError, nothing saved
    stored = interview.store.turn(view.turn_id)["answer"]
    assert stored == "Embeddings map words to dense vectors that sit close when similar."
    assert "Invisible control characters in your answer were removed" in after.score
    assert interview.store.session(view.session_id)["candidate"] == "Zed Ana"


def test_a_108_mb_answer_is_refused_with_a_sentence_and_nothing_is_stored(hostile) -> None:
    interview, grader = hostile
    view = open_question(interview, handlers.start(interview, View(None, None, []), "Big", "embedding-engineer",
                                                   "mid"))
    huge = "word " * (108 * 1024 * 1024 // 5)
    started = time.monotonic()
    after = handlers.submit(interview, view, huge)
    assert time.monotonic() - started < 5  # refused before it is cleaned, stored or graded
    assert "answers are kept up to 20,000 characters" in after.status and "Nothing was saved" in after.status
    assert after.answer is None  # the box keeps it
    assert interview.store.turn(view.turn_id)["answer"] is None and grader.calls == 0
    just_over = "word " * 4001  # 20,004 characters after cleaning: refused too, never cut
    assert "20,004 characters long" in handlers.submit(interview, view, just_over).status
    assert interview.store.turn(view.turn_id)["answer"] is None


def test_three_simultaneous_submits_give_one_answer_and_one_grade(settings, embedder) -> None:
    grader = HostileGrader(delay_s=1.0)
    interview = build_interview(settings, embedder=embedder, grader=grader)
    view = open_question(interview, handlers.start(interview, View(None, None, []), "Tri", "embedding-engineer",
                                                   "mid"))
    answers = [f"Answer number {i}: embeddings map words to dense vectors." for i in range(3)]
    results: list[View] = [None] * 3  # type: ignore[list-item]

    def press(i: int) -> None:
        results[i] = handlers.submit(interview, view, answers[i])

    threads = [threading.Thread(target=press, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    graded = [r for r in results if r.status == ""]
    refused = [r for r in results if r.status]
    assert len(graded) == 1 and len(refused) == 2, [r.status for r in results]
    assert all("being graded already" in r.status or "already answered" in r.status for r in refused)
    with sqlite3.connect(interview.store.path) as conn:
        rows = conn.execute("select count(*) from grades g join turns t on t.id = g.turn_id "
                            "where t.session_id = ?", [view.session_id]).fetchone()[0]
    assert grader.calls == 1 and rows == 1
    assert interview.store.turn(view.turn_id)["answer"] in answers
    assert interview.end(view.session_id).answered == 1


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(hostile) -> None:
    interview, _ = hostile
    formulas = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3"]
    ids = []
    for formula in formulas[:3]:
        view = open_question(interview, handlers.start(interview, View(None, None, []), formula,
                                                       "embedding-engineer", "mid"))
        assert handlers.submit(interview, view, formula + " embeddings are dense vectors").status == ""
        ids.append(view.session_id)
    turn = interview.store.session_record(ids[0])["turns"][0]
    # straight into the store (the text cleaners would already drop a leading tab): a coach and a note
    interview.store.add_override(turn["turn_id"], turn["grade"]["grade_id"], "@SUM(A1)", "\tTab", None, None)
    records = interview.store.session_records(ids)
    rows = list(csv.DictReader(io.StringIO(sessions_csv(records))))
    cells = [v for row in rows for k, v in row.items() if k in ("candidate", "answer", "coach", "coach_note")]
    assert cells and not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'-2+3" in cells
    assert "'@SUM(A1)" in cells and "'\tTab" in cells
    assert [csv_cell(v) for v in ("\rCR", "=cmd|' /C calc'!A0", 2.5, "a = b")] == ["'\rCR", "'=cmd|' /C calc'!A0", 2.5,
                                                                                 "a = b"]
    jsonl = [json.loads(line) for line in render(records, "jsonl").splitlines()]
    assert {r["candidate"] for r in jsonl} == set(formulas[:3])  # JSON stays exact


def test_exports_go_to_a_private_folder_and_are_gone_soon_after(hostile, tmp_path) -> None:
    interview, _ = hostile
    view = open_question(interview, handlers.start(interview, View(None, None, []), "Exp", "embedding-engineer",
                                                   "mid"))
    handlers.submit(interview, view, "Embeddings map words to dense vectors.")
    old = Path("/tmp/interview-coach-exports")  # the fixed folder the exports used to go to
    review, files = Review(interview.store), PrivateFiles(max_age_s=1.0)
    done = coach_handlers.export_matching(review, "Zoe", "", "", "", "", "", "", "", "newest", "csv", files=files)
    path = Path(done.file)
    assert path.is_file() and not path.is_relative_to(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent.name != "interview-coach-exports" and "Exp" in path.read_text()
    deadline = time.monotonic() + 10
    while path.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not path.parent.exists()


def test_the_sign_in_throttle_survives_a_restart(settings, tmp_path) -> None:
    from bot.store import SessionStore

    store = SessionStore(tmp_path / "t.db")
    auth = CoachAuth(password=PASSWORD, throttle=SignInThrottle(per_caller=2, log=store))
    for _ in range(2):
        assert auth.by_password("guess", "M", "10.0.0.1") is None
    again = CoachAuth(password=PASSWORD, throttle=SignInThrottle(per_caller=2, log=SessionStore(tmp_path / "t.db")))
    with pytest.raises(InterviewError, match="paused"):
        again.by_password(PASSWORD, "Zoe", "10.0.0.1")  # a new process, the same database
    assert Settings.from_env({"BOT_TRUSTED_PROXIES": " 10.0.0.2 , ::1 "}).trusted_proxies == "10.0.0.2,::1"


def headerless_webm(path: Path, seconds: float) -> Path:
    """Opus in WebM written as a live stream, as a browser's MediaRecorder writes it: no duration in
    the header. Ten seconds are encoded once and their packets repeated (fast to make)."""
    import av
    import numpy as np

    rate = 48000
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libopus", rate=rate, layout="mono")
        stream.bit_rate = 6000
        noise = (np.random.default_rng(0).standard_normal(rate * 10) * 300).astype("int16")[None, :]
        frame = av.AudioFrame.from_ndarray(noise, format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        packets = [(bytes(p), p.pts, p.duration) for p in [*stream.encode(frame), *stream.encode(None)]]
        span = packets[-1][1] + packets[-1][2]
        for i in range(int(seconds // 10)):
            for data, pts, duration in packets:
                packet = av.Packet(data)
                packet.stream, packet.time_base = stream, Fraction(1, rate)
                packet.pts = packet.dts = pts + i * span
                packet.duration = duration
                out.mux(packet)
    return path


def test_a_headerless_webm_is_refused_with_bounded_memory(tmp_path) -> None:
    webm = headerless_webm(tmp_path / "answer.webm", 30 * 60)  # 30 min in about 1.4 MB
    probe = ("import resource, sys\n"
             "import av, numpy\n"
             "from bot.speech import SpeechError, decode_bounded\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "try:\n    decode_bounded(sys.argv[1], 300)\n    print('decoded')\n"
             "except SpeechError as e:\n    print(e)\n"
             "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(webm)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    message, rise_mb = done.stdout.strip().splitlines()
    assert message == "That recording is longer than 5 min; the limit is 5 min — record a shorter answer.", done
    assert int(rise_mb) < 80, rise_mb  # before: the whole 30 minutes, about 290 MB (2 hours: 1.1 GB)


def test_files_no_answer_points_at_are_removed_from_the_audio_folder(hostile) -> None:
    interview, _ = hostile
    view = open_question(interview, handlers.start(interview, View(None, None, []), "Orph", "embedding-engineer",
                                                   "mid"))
    kept = interview.recording_path(view.session_id, view.turn_id)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"RIFF")
    interview.store.save_recording(view.turn_id, str(kept))
    orphans = [kept.parent / f"turn-{view.turn_id}-1764000000.html", kept.parent / ".turn-1.wav.x.tmp",
               interview.audio_dir / "gone-session" / "turn-9-1.svg"]
    for orphan in orphans:
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_text("<html>left behind by an earlier version</html>")
    assert interview.remove_orphan_recordings() == 3
    assert kept.is_file() and not any(o.exists() for o in orphans)
    assert not (interview.audio_dir / "gone-session").exists()
