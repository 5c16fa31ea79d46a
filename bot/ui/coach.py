"""The Coach tab (built only when a coach credential is configured): sign in, then review,
annotate, override and export. Every handler reads the coach label from server-side state."""

from __future__ import annotations

import gradio as gr

from bot.coach import CoachAuth
from bot.corpus import ROLES, Level
from bot.review import Review
from bot.store import SESSION_ORDER
from bot.ui import coach_handlers as ch
from bot.ui.coach_handlers import TABLE_HEADERS, VERDICT_HEADERS, CoachView, SignIn
from bot.ui.practice import ROLE_LABELS


def build_coach(review: Review, auth: CoachAuth, hf_login: bool, coach: gr.State) -> None:
    with gr.Tab("Coach", id="coach"):
        signed = gr.Markdown("Coaches sign in here to review every candidate's sessions.")
        with gr.Row():
            password = name = pw_btn = hf_btn = None
            if auth.password:
                password = gr.Textbox(label="Coach password", type="password", scale=2)
                name = gr.Textbox(label="Your name (shown on your notes)", scale=2)
                pw_btn = gr.Button("Sign in as coach", scale=1)
            if auth.org and hf_login:
                hf_btn = gr.Button(f"Sign in as a member of {auth.org}", scale=1)
        with gr.Column(visible=False) as area:
            with gr.Row():
                candidate = gr.Textbox(label="Candidate name contains")
                role = gr.Dropdown([("any role", ""), *[(ROLE_LABELS[r], r) for r in ROLES]], value="", label="Role")
                level = gr.Dropdown([("any level", ""), *[(lv.value, lv.value) for lv in Level]], value="",
                                    label="Level")
                order = gr.Dropdown(list(SESSION_ORDER), value="newest", label="Sort")
            with gr.Row():
                date_from = gr.Textbox(label="Started from (YYYY-MM-DD)")
                date_to = gr.Textbox(label="Started to (YYYY-MM-DD)")
                min_score = gr.Textbox(label="Average score from (0–10)")
                max_score = gr.Textbox(label="Average score to (0–10)")
                search_btn = gr.Button("Search", variant="primary")
            status = gr.Markdown()
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, label="Sessions")
            with gr.Row():
                many_fmt = gr.Radio(["csv", "jsonl"], value="csv", label="Export the matching sessions as")
                many_btn = gr.Button("Export matching sessions")
                many_file = gr.File(label="Download", interactive=False, height=90)
            with gr.Row():
                pick = gr.Dropdown([], label="Session (pick, or paste an id from the table)", allow_custom_value=True,
                                   scale=4)
                open_btn = gr.Button("Open", scale=1)
            with gr.Row():
                one_fmt = gr.Radio(["md", "json"], value="md", label="Export this session as")
                one_btn = gr.Button("Export session")
                one_file = gr.File(label="Download", interactive=False, height=90)
            with gr.Row():
                turn = gr.Dropdown([], label="Answer to review", allow_custom_value=True, scale=2)
                detail = gr.Markdown()
                audio = gr.Audio(label="Recording", interactive=False, scale=2)
            verdicts = gr.Dataframe(headers=VERDICT_HEADERS, type="array", interactive=True, wrap=True,
                                    static_columns=[0, 1, 2], column_widths=["12%", "58%", "15%", "15%"],
                                    label="Point verdicts (type covered, partial, missing or incorrect in the last column "
                                          "to change one)")
            with gr.Row():
                note = gr.Textbox(label="Note for the candidate", lines=3, scale=3)
                score = gr.Textbox(label="Score override (0–10; blank keeps the AI's)", scale=1)
                save_btn = gr.Button("Save review", variant="primary", scale=1)
            transcript = gr.Markdown()

    def signed_in(r: SignIn) -> tuple:
        return r.coach, r.status, gr.Column(visible=bool(r.coach))

    def sign_in(password: str, name: str, request: gr.Request) -> tuple:  # the request is Gradio's, not an input
        caller = getattr(getattr(request, "client", None), "host", None)  # wrong passwords are counted per address
        return signed_in(ch.sign_in(auth, password, name, caller))

    if pw_btn is not None:
        pw_btn.click(sign_in, [password, name], [coach, signed, area], api_name="coach_sign_in")
    if hf_btn is not None:
        def hf_sign_in(profile: gr.OAuthProfile | None, token: gr.OAuthToken | None) -> tuple:
            return signed_in(ch.sign_in_hf(auth, token.token if token else None, profile.username if profile else None))
        hf_btn.click(hf_sign_in, None, [coach, signed, area], api_name="coach_sign_in_hf")

    def show(v: CoachView) -> tuple:
        def keep(value: object) -> object:
            return gr.skip() if value is None else value
        return (v.status, keep(v.table), gr.skip() if v.sessions is None else gr.Dropdown(choices=v.sessions, value=None),
                keep(v.transcript), gr.skip() if v.turns is None else gr.Dropdown(choices=v.turns, value=None),
                keep(v.turn), v.audio, keep(v.verdicts), v.file)

    shown = [status, table, pick, transcript, turn, detail, audio, verdicts, many_file]
    filters = [candidate, role, level, date_from, date_to, min_score, max_score, order]

    def sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                 min_score: str, max_score: str, order: str) -> tuple:
        return show(ch.search(review, who, candidate, role, level, date_from, date_to, min_score, max_score, order))

    def open_session(who: str | None, session_id: str | None) -> tuple:
        return show(ch.open_session(review, who, session_id))

    def open_answer(who: str | None, session_id: str | None, turn_id: int | None) -> tuple:
        return show(ch.open_turn(review, who, session_id, turn_id) if turn_id is not None else CoachView())

    def review_answer(who: str | None, session_id: str | None, turn_id: int | None, note: str, score: str,
                      verdicts: list[list] | None) -> tuple:
        return show(ch.save_override(review, who, session_id, turn_id, note, score, verdicts))

    def export_sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                        min_score: str, max_score: str, order: str, fmt: str) -> tuple:
        return show(ch.export_matching(review, who, candidate, role, level, date_from, date_to, min_score,
                                       max_score, order, fmt))

    def export_session(who: str | None, session_id: str | None, fmt: str) -> tuple:
        v = ch.export_session(review, who, session_id, fmt)
        return v.status, v.file

    search_btn.click(sessions, [coach, *filters], shown, api_name="coach_sessions")
    open_btn.click(open_session, [coach, pick], shown, api_name="coach_open_session")
    turn.change(open_answer, [coach, pick, turn], shown, api_name="coach_open_answer")
    save_btn.click(review_answer, [coach, pick, turn, note, score, verdicts], shown, api_name="coach_review_answer")
    many_btn.click(export_sessions, [coach, *filters, many_fmt], shown, api_name="coach_export_sessions")
    one_btn.click(export_session, [coach, pick, one_fmt], [status, one_file], api_name="coach_export_session")
