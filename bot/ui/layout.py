"""The Gradio Blocks: who the caller is, then one tab per job (practice, progress, coach).

Identity lives in server-side state (`owner`, `coach`), set only by the page-load handler
(from the browser's secret token or the Hugging Face sign-in) and by a successful coach
sign-in. No endpoint takes an owner or a coach flag as a parameter.
"""

from __future__ import annotations

import gradio as gr

from bot.coach import CoachAuth
from bot.history import History
from bot.identity import clean_name, identify
from bot.interview import Interview
from bot.review import Review
from bot.ui import handlers, mock_handlers
from bot.ui.coach import build_coach
from bot.ui.mock import build_mock
from bot.ui.practice import ROLE_LABELS, build_practice
from bot.ui.progress import build_progress

__all__ = ["ROLE_LABELS", "build_demo"]
IDENTITY_KEY = "interview-coach-identity"


def build_demo(interview: Interview, coach_auth: CoachAuth | None = None, hf_login: bool = False,
               notice: str | None = None) -> gr.Blocks:
    """`hf_login`: offer Hugging Face sign-in (only on a Space with `hf_oauth: true`; Gradio's
    local stand-in for it needs a logged-in `hf` CLI, so it stays off elsewhere). `notice`: a
    warning for every visitor (e.g. no persistent storage on a Space)."""
    history = History(interview.store, interview.corpus)
    # Uploads and the files handed to the page (replayed recordings, exports) live in Gradio's cache
    # (a private folder, app.py): every 5 minutes, what is older than 15 minutes goes.
    with gr.Blocks(title="Mock-interview coach", delete_cache=(300, 900)) as demo:
        # The browser keeps {"token", "name"}; Gradio's "encryption" key travels to the browser
        # anyway, so a fixed one costs nothing and keeps the identity across app restarts.
        saved = gr.BrowserState(None, storage_key=IDENTITY_KEY, secret=IDENTITY_KEY)
        owner = gr.State(None)
        token = gr.State(None)
        coach = gr.State(None)
        gr.Markdown("# Mock-interview coach\nPractise AI/ML interview questions. Every grade shows the "
                    "rubric points you covered and missed, with the words from your answer that earned them.")
        if notice:
            gr.Markdown(f"⚠️ {notice}", elem_id="site-notice")
        with gr.Row():
            who = gr.Markdown()
            if hf_login:
                gr.LoginButton()
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # every tab stays in sight on a phone
            with gr.Tab("Practice", id="practice"):
                practice = build_practice(interview, owner, token)
            with gr.Tab("Interview", id="mock"):
                mock = build_mock(interview, owner, token)
            build_progress(interview, history, owner, token, practice, tabs)
            if coach_auth is not None and (coach_auth.password or (coach_auth.org and hf_login)):
                build_coach(Review(interview.store), coach_auth, hf_login, coach)

        def load(kept: object, profile: gr.OAuthProfile | None) -> dict:
            me = identify(kept, profile.username if profile else None, profile.name if profile else None)
            where = (f"Signed in with Hugging Face as **{profile.username}**: your sessions follow your account."
                     if profile else "Your sessions are kept for this browser: the Progress tab shows only yours.")
            shown = {owner: me.owner, token: me.token, who: where}
            if me.token:
                shown[saved] = {"token": me.token, "name": me.name}
            if me.name:
                shown[practice.candidate] = me.name
                shown[mock.candidate] = me.name
            interviewing = mock_handlers.resume(mock.mock, me.owner)  # an unfinished mock interview carries on
            if interviewing is not None:
                return {**shown, **mock.render(interviewing), tabs: gr.Tabs(selected="mock")}
            resumed = handlers.resume(interview, me.owner)  # an unfinished session carries on
            return {**shown, **(practice.render(resumed) if resumed else {})}

        def remember(tok: str | None, name: str) -> object:
            """Keep the name beside the browser's token so the next visit fills it in."""
            if not tok:
                return gr.skip()
            return {"token": tok, "name": clean_name(name) if (name or "").strip() else ""}

        demo.load(load, saved, [owner, token, saved, practice.candidate, who, *practice.outputs, mock.candidate,
                                 *mock.outputs, tabs], api_name=False)
        practice.started.then(remember, [token, practice.candidate], saved, api_name=False)
        mock.started.then(remember, [token, mock.candidate], saved, api_name=False)
        if practice.confirmed is not None:
            practice.confirmed.then(remember, [token, practice.candidate], saved, api_name=False)
    return demo
