"""The Coach tab (built only when a coach credential is configured): sign in, then review,
annotate, override and export. Every handler reads the coach label from server-side state."""

from __future__ import annotations

import gradio as gr

from bot.coach import CoachAuth
from bot.corpus import ROLES, Level
from bot.review import Review
from bot.store import SESSION_ORDER
from bot.ui import coach_handlers as ch
from bot.ui import replies
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

    def signed_in(r: SignIn) -> dict:
        return {coach: r.coach, signed: r.status, area: gr.Column(visible=bool(r.coach))}

    password_box = password  # the component: in the handlers below, `password` is the text typed

    def sign_in_then_forget(password: str, name: str, request: gr.Request) -> dict:
        """The password box is emptied after every attempt: the page keeps no copy of it."""
        return {**sign_in(password, name, request), password_box: ""}

    def sign_in(password: str, name: str, request: gr.Request) -> dict:  # the request is Gradio's, not an input
        caller = getattr(getattr(request, "client", None), "host", None)  # wrong passwords are counted per address
        return signed_in(ch.sign_in(auth, password, name, caller))

    if pw_btn is not None:
        pw_btn.click(sign_in_then_forget, [password, name],
                     [coach, *replies.ordered(replies.COACH_SIGN_IN, {"status": signed, "area": area, "password": password})],
                     api_name="coach_sign_in")
    if hf_btn is not None:
        def hf_sign_in(profile: gr.OAuthProfile | None, token: gr.OAuthToken | None) -> dict:
            return signed_in(ch.sign_in_hf(auth, token.token if token else None, profile.username if profile else None))
        hf_btn.click(hf_sign_in, None, [coach, *replies.ordered(replies.COACH_SIGN_IN_HF, {"status": signed, "area": area})],
                     api_name="coach_sign_in_hf")

    def show(v: CoachView) -> dict:
        out = {status: v.status, audio: v.audio, many_file: v.file}  # a None below leaves that part as it was
        for component, value in ((table, v.table), (transcript, v.transcript), (detail, v.turn),
                                 (verdicts, v.verdicts)):
            if value is not None:
                out[component] = value
        if v.sessions is not None:
            out[pick] = gr.Dropdown(choices=v.sessions, value=None)
        if v.turns is not None:
            out[turn] = gr.Dropdown(choices=v.turns, value=None)
        return out

    shown = replies.ordered(replies.COACH, {
        "status": status, "table": table, "sessions": pick, "transcript": transcript, "turns": turn, "turn": detail,
        "audio": audio, "verdicts": verdicts, "file": many_file})
    filters = [candidate, role, level, date_from, date_to, min_score, max_score, order]

    def sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                 min_score: str, max_score: str, order: str) -> dict:
        return show(ch.search(review, who, candidate, role, level, date_from, date_to, min_score, max_score, order))

    def open_session(who: str | None, session_id: str | None) -> dict:
        return show(ch.open_session(review, who, session_id))

    def open_answer(who: str | None, session_id: str | None, turn_id: int | None) -> dict:
        return show(ch.open_turn(review, who, session_id, turn_id) if turn_id is not None else CoachView())

    def review_answer(who: str | None, session_id: str | None, turn_id: int | None, note: str, score: str,
                      verdicts: list[list] | None) -> dict:
        return show(ch.save_override(review, who, session_id, turn_id, note, score, verdicts))

    def export_sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                        min_score: str, max_score: str, order: str, fmt: str) -> dict:
        return show(ch.export_matching(review, who, candidate, role, level, date_from, date_to, min_score,
                                       max_score, order, fmt))

    def export_session(who: str | None, session_id: str | None, fmt: str) -> dict:
        v = ch.export_session(review, who, session_id, fmt)
        return {status: v.status, one_file: v.file}

    search_btn.click(sessions, [coach, *filters], shown, api_name="coach_sessions")
    open_btn.click(open_session, [coach, pick], shown, api_name="coach_open_session")
    turn.change(open_answer, [coach, pick, turn], shown, api_name="coach_open_answer")
    save_btn.click(review_answer, [coach, pick, turn, note, score, verdicts], shown, api_name="coach_review_answer")
    many_btn.click(export_sessions, [coach, *filters, many_fmt], shown, api_name="coach_export_sessions")
    one_btn.click(export_session, [coach, pick, one_fmt],
                  replies.ordered(replies.COACH_EXPORT_SESSION, {"status": status, "file": one_file}),
                  api_name="coach_export_session")
