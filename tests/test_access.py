"""Access rules: a candidate sees only their own sessions and coach functions need the coach
credential — checked on the identity helpers, then against a live app through gradio_client."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import wave
from dataclasses import replace
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from bot.identity import hf_owner, identify, is_token, local_owner
from bot.replies import COACH_VERDICTS, reply
from bot.text import escape_markdown
from devtools.appserver import AppServer
from tests.helpers import ROOT

PASSWORD = "correct horse battery staple"
NO_VERDICTS = (None,) * len(COACH_VERDICTS)  # the review form's verdict dropdowns, left as they are
ANSWER_A = "Ana-one's private answer: embeddings map words to dense vectors that sit close when similar."


def test_a_browser_token_is_the_identity_and_the_name_only_a_label() -> None:
    first = identify(None)
    assert is_token(first.token) and first.owner == local_owner(first.token) and first.name == ""
    again = identify({"token": first.token, "name": "  Ana  "})
    assert again.owner == first.owner and again.name == "Ana" and again.token == first.token
    other_ana = identify({"token": identify(None).token, "name": "Ana"})
    assert other_ana.owner != first.owner  # two people called Ana are two candidates
    assert first.token not in first.owner  # the database never holds the secret
    for junk in ({"token": "short"}, {"token": 42}, "a string", ["list"], {"token": "x" * 43 + "!"}):
        assert identify(junk).owner != identify(junk).owner  # a malformed token is replaced, never trusted
    signed = identify({"token": first.token, "name": "Ana"}, hf_username="ana-hf", hf_name="Ana H.")
    assert signed.owner == hf_owner("ana-hf") == "hf:ana-hf" and signed.token is None and signed.name == "Ana"


def test_coach_settings_and_the_coach_tab_only_when_configured(settings, embedder) -> None:
    import gradio as gr

    from bot.coach import CoachAuth
    from bot.services import build_interview
    from bot.settings import Settings
    from bot.ui.layout import build_demo

    env = Settings.from_env({"BOT_COACH_PASSWORD": "s3cret words", "BOT_COACH_ORG": "acme"})
    assert env.coach_password == "s3cret words" and env.coach_org == "acme" and "s3cret" not in repr(env)
    assert not env.hf_login and Settings.from_env({"SPACE_ID": "u/s", "OAUTH_CLIENT_ID": "id"}).hf_login
    interview = build_interview(settings, embedder=embedder)

    def built(demo: gr.Blocks) -> tuple[set[str], set[str]]:
        return ({f.api_name for f in demo.fns.values() if f.api_name},
                {type(b).__name__ for b in demo.blocks.values()})

    apis, blocks = built(build_demo(interview))
    assert {"start", "submit", "progress", "replay_session"} <= apis and not any(a.startswith("coach") for a in apis)
    assert "LoginButton" not in blocks
    apis, _ = built(build_demo(interview, CoachAuth(password="pw")))
    assert {"coach_sign_in", "coach_sessions", "coach_review_answer"} <= apis and "coach_sign_in_hf" not in apis
    apis, _ = built(build_demo(interview, CoachAuth(org="acme")))  # no Hugging Face sign-in: no way in
    assert not any(a.startswith("coach") for a in apis)

    import app

    oauth_libs = all(importlib.util.find_spec(m) for m in ("authlib", "itsdangerous"))
    assert app._hf_login(replace(env, hf_login=True)) is oauth_libs and app._hf_login(env) is False
    if oauth_libs:  # gradio[oauth] is not installed here; a Space that enables sign-in installs it
        apis, blocks = built(build_demo(interview, CoachAuth(org="acme"), hf_login=True))
        assert "coach_sign_in_hf" in apis and "coach_sign_in" not in apis and "LoginButton" in blocks


def test_every_endpoint_reply_is_named_in_one_place(settings, embedder) -> None:
    """bot/replies.py names each endpoint's reply in order; the built app has the same outputs."""
    import gradio as gr

    from bot.coach import CoachAuth
    from bot.replies import ENDPOINTS
    from bot.services import build_interview
    from bot.ui.layout import build_demo

    demo = build_demo(build_interview(settings, embedder=embedder), CoachAuth(password="pw"))
    endpoints = {f"/{f.api_name}": f for f in demo.fns.values() if f.api_name and f.api_visibility != "private"}
    assert set(endpoints) <= set(ENDPOINTS), set(endpoints) - set(ENDPOINTS)
    assert set(ENDPOINTS) - set(endpoints) == {"/coach_sign_in_hf"}  # built only with Hugging Face sign-in
    for name, fn in endpoints.items():  # an API reply leaves out gr.State and buttons (skip_api)
        shown = [o for o in fn.outputs if not isinstance(o, gr.State | gr.Button)]
        assert len(shown) == len(ENDPOINTS[name]), name
    practice = endpoints["/submit"].outputs
    assert any(isinstance(o, gr.Button) for o in practice)  # Submit, Next, ... are enabled and relabelled
    assert [type(o).__name__ for o in practice if not isinstance(o, gr.State | gr.Button)][:4] == [
        "Chatbot", "Textbox", "Markdown", "Markdown"]  # chat, answer, status, score


@pytest.fixture(scope="module")
def coach_app(tmp_path_factory, shared_cache: Path):
    data = tmp_path_factory.mktemp("access")
    with AppServer(data, cache_dir=shared_cache, start_timeout_s=120, env={"BOT_COACH_PASSWORD": PASSWORD}) as url:
        yield url, data


def pcm(path: str) -> bytes:
    with wave.open(path, "rb") as f:
        return f.readframes(f.getnframes())


def shows(text: str, wanted: str) -> bool:
    """`wanted` appears in `text` as typed, or escaped the way the Markdown views show user text."""
    return wanted in text or escape_markdown(wanted) in text


def call(client: Client, api_name: str, *args) -> str:
    """Everything an endpoint returned, as text to search (downloaded files are read)."""
    out = client.predict(*args, api_name=api_name)
    parts = out if isinstance(out, tuple) else (out,)
    texts = [(Path(p).read_text(encoding="utf-8") if os.path.isfile(p) else p) if isinstance(p, str) else repr(p)
             for p in parts]  # repr() of a str would escape its quotes
    return "\n".join(texts)


@pytest.mark.server
def test_candidates_see_only_their_own_sessions_and_coach_functions_need_the_password(coach_app) -> None:
    url, data = coach_app
    a, b, coach = (Client(url, verbose=False) for _ in range(3))

    status = reply("/start", a.predict("Ana", "embedding-engineer", "junior", api_name="/start"))["status"]
    assert status == "", status
    spoken = reply("/transcribe", a.predict(handle_file(str(ROOT / "tests/fixtures/audio/transformer.wav")),
                                            api_name="/transcribe"))["status"]
    assert "Transcribed" in spoken, spoken
    assert reply("/submit", a.predict(ANSWER_A, api_name="/submit"))["status"] == ""
    with sqlite3.connect(data / "sessions.db") as db:
        a_session, a_owner, a_turn, a_question, a_audio = db.execute(
            "select s.id, s.owner, t.id, t.prompt, t.audio_path from sessions s join turns t on t.session_id = s.id"
        ).fetchone()
        ai_grade = db.execute("select * from grades").fetchall()
    assert a_owner.startswith("local:")
    mine = reply("/progress", a.predict(api_name="/progress"))
    assert [sid for _, sid in mine["sessions"]["choices"]] == [a_session]
    assert shows(call(a, "/replay_session", a_session), ANSWER_A)
    played = reply("/play_recording", a.predict(a_session, a_turn, api_name="/play_recording"))["audio"]  # kept sound
    assert pcm(played) == pcm(a_audio)  # the same sound; the kept file itself is not what is served

    # B has the same name. Nothing of A's comes back from any endpoint that takes a session id.
    assert reply("/start", b.predict("Ana", "embedding-engineer", "junior", api_name="/start"))["status"] == ""
    assert a_session not in call(b, "/progress")
    attempts = {
        "/replay_session": (a_session,),
        "/play_recording": (a_session, a_turn),
        "/coach_sessions": ("", "", "", "", "", "", "", "newest"),
        "/coach_open_session": (a_session,),
        "/coach_open_answer": (a_turn,),
        "/coach_review_answer": (a_turn, "hijacked", "10", *NO_VERDICTS),
        "/coach_export_sessions": ("", "", "", "", "", "", "", "newest", "jsonl"),
        "/coach_export_session": ("json",),  # the session a coach opened (server-side state)
    }
    for endpoint, args in attempts.items():
        text = call(b, endpoint, *args)
        assert not shows(text, ANSWER_A) and not shows(text, a_question) and a_owner not in text, (endpoint, text[:300])
        assert Path(a_audio).name not in text, endpoint
        refusal = "not one of yours" if endpoint in ("/replay_session", "/play_recording") else "Sign in as a coach"
        assert refusal in text, (endpoint, text[:300])  # the app's own sentence, not an error from gradio

    # A wrong password changes nothing; the right one opens everything (on that connection only).
    assert "not the coach password" in call(b, "/coach_sign_in", "wrong horse", "Bob")
    assert "Sign in as a coach first." in call(b, "/coach_open_session", a_session)
    assert "Signed in as coach" in call(coach, "/coach_sign_in", PASSWORD, "Zoe")
    signed_in = reply("/coach_sign_in", coach.predict(PASSWORD, "Zoe", api_name="/coach_sign_in"))
    assert len(signed_in["table"]["data"]) == 2  # listed on sign-in, before any search
    listed = reply("/coach_sessions", coach.predict("", "", "", "", "", "", "", "newest", api_name="/coach_sessions"))
    assert len(listed["table"]["data"]) == 2 and a_session[:8] in repr(listed["table"])
    assert shows(call(coach, "/coach_open_session", a_session), ANSWER_A)
    refused = call(coach, "/coach_review_answer", a_turn, "Name a metric next time.", "7", *NO_VERDICTS)
    assert "Pick the answer to review first" in refused  # no form was built for an answer yet
    answer = reply("/coach_open_answer", coach.predict(a_turn, api_name="/coach_open_answer"))
    assert "AI grade" in answer["turn"] and pcm(answer["audio"]) == pcm(a_audio)  # spoken: its recording plays
    saved = reply("/coach_review_answer", coach.predict(a_turn, "Name a metric next time.", "7", *NO_VERDICTS,
                                                       api_name="/coach_review_answer"))
    assert saved["status"].startswith("Saved"), saved["status"]
    assert saved["note"] == "" and saved["score"] == ""  # the form is empty again; the review shows above it
    exported = call(coach, "/coach_export_session", "md")
    assert shows(exported, ANSWER_A) and shows(exported, "Name a metric next time.")
    assert "session_id,candidate,role,level" in call(coach, "/coach_export_sessions", "ana", "", "", "", "", "", "",
                                                     "newest", "csv")
    assert "Sign in as a coach first." in call(b, "/coach_open_session", a_session)  # still refused for B

    # The candidate sees the coach's review beside the AI grade; the AI grade row is unchanged.
    replay = call(a, "/replay_session", a_session)
    assert shows(replay, "Name a metric next time.") and "7.0 / 10" in replay and "AI grade:" in replay
    with sqlite3.connect(data / "sessions.db") as db:
        assert db.execute("select * from grades").fetchall() == ai_grade
        assert db.execute("select coach, score from overrides").fetchall() == [("Zoe", 7.0)]


def test_wrong_coach_passwords_pause_password_sign_in() -> None:
    from bot.coach import CoachAuth, SignInPaused, SignInThrottle
    from bot.ui import coach_handlers as ch

    clock = [1000.0]
    auth = CoachAuth(password=PASSWORD,
                     throttle=SignInThrottle(per_caller=3, overall=5, window_s=600, clock=lambda: clock[0]))
    for _ in range(3):
        assert auth.by_password("a guess", "Mallory", "10.0.0.1") is None
    with pytest.raises(SignInPaused, match="paused for 10 more minutes"):
        auth.by_password(PASSWORD, "Zoe", "10.0.0.1")  # not even checked, so the right one fails too
    assert auth.by_password(PASSWORD, "Zoe", "10.0.0.2") == "Zoe"  # another address still may
    clock[0] += 599
    with pytest.raises(SignInPaused, match="paused for 1 more minute\\."):
        auth.by_password(PASSWORD, "Zoe", "10.0.0.1")
    clock[0] += 1
    assert auth.by_password(PASSWORD, "Zoe", "10.0.0.1") == "Zoe"  # the window has moved on

    for i in range(5):  # one guess each from many addresses: the overall limit
        assert auth.by_password("a guess", "Mallory", f"10.1.0.{i}") is None
    view = ch.sign_in(auth, PASSWORD, "Zoe", "10.9.9.9")
    assert view.coach is None and "paused" in view.status  # a sentence for the screen, no coach


@pytest.mark.server
def test_a_password_guesser_is_paused_through_the_api(tmp_path: Path, shared_cache: Path) -> None:
    with AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=120, env={"BOT_COACH_PASSWORD": PASSWORD}) as url:
        texts = []
        for i in range(6):  # a new connection each time: a fresh gr.State does not reset the count
            client = Client(url, verbose=False)
            texts.append(call(client, "/coach_sign_in", f"guess number {i}", "Mallory"))
            client.close()
        assert all("not the coach password" in t for t in texts[:5]), texts
        assert "paused" in texts[5]
        client = Client(url, verbose=False)
        assert "paused" in call(client, "/coach_sign_in", PASSWORD, "Zoe")
        assert "Sign in as a coach first." in call(client, "/coach_open_session", "any")
        client.close()
