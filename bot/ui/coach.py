"""The Coach tab (built only when a coach credential is configured): sign in, then review,
annotate, override and export. Every handler reads the coach label from server-side state.

The desk lists every session as soon as a coach signs in (and whenever the tab is opened);
clicking a row opens the session, its transcript beside the review of one answer. The review
form is rebuilt for each answer picked (bot/ui/coach_handlers.py says why)."""

from __future__ import annotations

import gradio as gr

from bot import replies
from bot.coach import CoachAuth
from bot.corpus import ROLES, Level
from bot.review import Review
from bot.store import SESSION_ORDER
from bot.ui import coach_handlers as ch
from bot.ui.coach_handlers import MAX_POINTS, TABLE_HEADERS, VERDICT_CHOICES, CoachView, SignIn
from bot.ui.practice import ROLE_LABELS

SCORE_LABEL = "Score override (0–10; blank: the AI's score, or what your verdicts earn)"


def build_coach(review: Review, auth: CoachAuth, hf_login: bool, coach: gr.State) -> None:
    with gr.Tab("Coach", id="coach") as tab:
        # State lives inside the tab: a component made directly under gr.Tabs shows as a second "Coach" tab.
        listed = gr.State([])  # the table's session ids, in its order
        opened = gr.State(None)  # the session on screen
        form_for = gr.State(None)  # {"turn_id", "point_ids"}: the answer the form on screen was built for
        signed = gr.Markdown("Coaches sign in here to review every candidate's sessions.", elem_id="coach-signed")
        with gr.Column() as sign_in_box:
            password = name = pw_btn = hf_btn = None
            with gr.Row():
                if auth.password:
                    password = gr.Textbox(label="Coach password", type="password", scale=2)
                    name = gr.Textbox(label="Your name (shown on your notes)", scale=2)
                    pw_btn = gr.Button("Sign in as coach", scale=1)
                if auth.org and hf_login:
                    hf_btn = gr.Button(f"Sign in as a member of {auth.org}", scale=1)
        with gr.Column(visible=False, elem_id="coach-desk") as area:
            with gr.Row():
                status = gr.Markdown(elem_id="coach-status")
                sign_out_btn = gr.Button("Sign out", size="sm", scale=0, min_width=110)
            table = gr.Dataframe(headers=TABLE_HEADERS, interactive=False, label="Sessions (click a row to open it)",
                                 max_height=320, elem_id="coach-sessions")
            with gr.Accordion("Search, open by id, export", open=False):
                with gr.Row():
                    candidate = gr.Textbox(label="Candidate name contains", min_width=150)
                    role = gr.Dropdown([("any role", ""), *[(ROLE_LABELS[r], r) for r in ROLES]], value="",
                                       label="Role", min_width=150)
                    level = gr.Dropdown([("any level", ""), *[(lv.value, lv.value) for lv in Level]], value="",
                                        label="Level", min_width=150)
                    order = gr.Dropdown(list(SESSION_ORDER), value="newest", label="Sort", min_width=150)
                with gr.Row():
                    date_from = gr.Textbox(label="Started from (YYYY-MM-DD)", min_width=150)
                    date_to = gr.Textbox(label="Started to (YYYY-MM-DD)", min_width=150)
                    min_score = gr.Textbox(label="Average score from (0–10)", min_width=150)
                    max_score = gr.Textbox(label="Average score to (0–10)", min_width=150)
                search_btn = gr.Button("Search", variant="primary")
                with gr.Row():
                    session_box = gr.Textbox(label="Open a session by id (press Enter)", scale=3, min_width=200)
                    many_fmt = gr.Radio(["csv", "jsonl"], value="csv", label="Export the matching sessions as",
                                        scale=2, min_width=150)
                    many_btn = gr.Button("Export matching sessions", scale=1, min_width=150)
                with gr.Column(visible=False) as many_file_box:  # once there is a file to download
                    many_file = gr.File(label="Download", interactive=False, height=90)
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300, elem_id="coach-transcript-column"):
                    transcript = gr.Markdown("*Click a session in the list to read it here.*", elem_id="coach-transcript",
                                             max_height=720)
                    with gr.Row():
                        one_fmt = gr.Radio(["md", "json"], value="md", label="Export this session as", min_width=150)
                        one_btn = gr.Button("Export session", min_width=150)
                    with gr.Column(visible=False) as one_file_box:
                        one_file = gr.File(label="Download", interactive=False, height=90)
                with gr.Column(scale=2, min_width=300, elem_id="coach-review"):
                    turn = gr.Dropdown([], label="Answer to review", elem_id="coach-answer",
                                       allow_custom_value=True)  # checked by the handler, which says why
                    detail = gr.Markdown(elem_id="coach-answer-detail")
                    with gr.Column(visible=False) as audio_box:  # spoken answers only
                        audio = gr.Audio(label="Recording", interactive=False)
                    with gr.Column(visible=False, elem_id="coach-review-form") as review_form:
                        verdicts = [gr.Dropdown(VERDICT_CHOICES, label=f"Point {i + 1}", visible=False,
                                                elem_classes="coach-verdict") for i in range(MAX_POINTS)]
                        note = gr.Textbox(label="Note for the candidate", lines=3, elem_id="coach-note")
                        score = gr.Textbox(label=SCORE_LABEL, elem_id="coach-score")
                        save_btn = gr.Button("Save review", variant="primary")

    named = {"status": status, "table": table, "transcript": transcript, "turns": turn, "turn": detail,
             "audio": audio, "audio_box": audio_box, "review_form": review_form, "note": note, "score": score,
             "file": many_file, "file_box": many_file_box, "session_file": one_file, "session_file_box": one_file_box,
             **dict(zip(replies.COACH_VERDICTS, verdicts, strict=True))}
    shown = [listed, opened, form_for, *replies.ordered(replies.COACH, named)]

    def show(v: CoachView) -> dict:
        """A view as {component: value}; a None part of it leaves that part of the screen as it was."""
        out: dict = {status: v.status}
        if v.table is not None:
            out[table] = v.table
            out[listed] = v.listed or []
        if v.session_id is not None:  # another session (or none): the last one's export goes
            out[opened] = v.session_id or None
            out[one_file], out[one_file_box] = None, gr.Column(visible=False)
        if v.transcript is not None:
            out[transcript] = v.transcript
        if v.turns is not None:
            out[turn] = gr.Dropdown(choices=v.turns, value=None)
        if v.turn is not None:
            out[detail] = v.turn
        if v.form is not None:  # a new answer (or none): the whole form is rebuilt for it
            f = v.form
            out[form_for] = {"turn_id": f.turn_id, "point_ids": [p.point_id for p in f.points]} \
                if f.turn_id is not None else None
            out[review_form] = gr.Column(visible=f.turn_id is not None)
            out[note], out[score] = f.note, f.score
            for i, box in enumerate(verdicts):
                p = f.points[i] if i < len(f.points) else None
                out[box] = gr.Dropdown(label=p.label, value=p.value, visible=True) if p else \
                    gr.Dropdown(label=f"Point {i + 1}", value=None, visible=False)
            out[audio], out[audio_box] = v.audio, gr.Column(visible=v.audio is not None)
        if v.file is not None:  # "" (signed out): no download left on the page
            out[many_file], out[many_file_box] = v.file or None, gr.Column(visible=bool(v.file))
        return out

    def signed_in(r: SignIn) -> dict:
        return {coach: r.coach, signed: r.status, area: gr.Column(visible=bool(r.coach)),
                sign_in_box: gr.Column(visible=not r.coach), **show(r.view or CoachView())}

    on_desk = {"signed": signed, "sign_in": sign_in_box, "area": area, **named}
    desk = [coach, listed, opened, form_for, *replies.ordered(replies.COACH_SIGN_IN_HF, on_desk)]
    password_box = password  # the component: in the handlers below, `password` is the text typed

    def sign_in_then_forget(password: str, name: str, request: gr.Request) -> dict:
        """The password box is emptied after every attempt: the page keeps no copy of it."""
        return {**sign_in(password, name, request), password_box: ""}

    def sign_in(password: str, name: str, request: gr.Request) -> dict:  # the request is Gradio's, not an input
        caller = getattr(getattr(request, "client", None), "host", None)  # wrong passwords are counted per address
        return signed_in(ch.sign_in(auth, password, name, caller, review))

    if pw_btn is not None:
        pw_btn.click(sign_in_then_forget, [password, name],
                     [coach, listed, opened, form_for, *replies.ordered(replies.COACH_SIGN_IN,
                                                                        {**on_desk, "password": password})],
                     api_name="coach_sign_in")
    if hf_btn is not None:
        def hf_sign_in(profile: gr.OAuthProfile | None, token: gr.OAuthToken | None) -> dict:
            return signed_in(ch.sign_in_hf(auth, token.token if token else None, profile.username if profile else None,
                                           review))
        hf_btn.click(hf_sign_in, None, desk, api_name="coach_sign_in_hf")
    sign_out_btn.click(lambda: signed_in(ch.sign_out()), None, desk, api_name="coach_sign_out")

    filters = [candidate, role, level, date_from, date_to, min_score, max_score, order]

    def sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                 min_score: str, max_score: str, order: str) -> dict:
        return show(ch.search(review, who, candidate, role, level, date_from, date_to, min_score, max_score, order))

    def on_open(who: str | None) -> dict:
        return show(ch.sessions_on_open(review, who)) if who else {}  # not signed in: the sign-in form says it

    def open_row(who: str | None, ids: list[str] | None, evt: gr.SelectData) -> dict:
        return show(ch.open_row(review, who, ids, evt.row_value))

    def open_session(who: str | None, session_id: str | None) -> dict:
        return show(ch.open_session(review, who, session_id))

    def open_answer(who: str | None, session_id: str | None, turn_id: int | None) -> dict:
        return show(ch.open_turn(review, who, session_id, turn_id)) if turn_id is not None else {}

    def review_answer(who: str | None, session_id: str | None, built_for: dict | None, turn_id: int | None,
                      note: str, score: str, *chosen: str | None) -> dict:
        built_for = built_for or {}
        return show(ch.save_override(review, who, session_id, turn_id, built_for.get("turn_id"),
                                     built_for.get("point_ids"), note, score, list(chosen)))

    def refresh_list(who: str | None, *typed: str) -> dict:
        """The list again, as searched, so its review counts include the review just saved."""
        v = ch.search(review, who, *typed)
        return {table: v.table, listed: v.listed} if v.table is not None else {}

    def export_sessions(who: str | None, candidate: str, role: str, level: str, date_from: str, date_to: str,
                        min_score: str, max_score: str, order: str, fmt: str) -> dict:
        return show(ch.export_matching(review, who, candidate, role, level, date_from, date_to, min_score,
                                       max_score, order, fmt))

    def export_session(who: str | None, session_id: str | None, fmt: str) -> dict:
        v = ch.export_session(review, who, session_id, fmt)
        out = {status: v.status}
        if v.file is not None:
            out[one_file], out[one_file_box] = v.file, gr.Column(visible=True)
        return out

    tab.select(on_open, coach, shown, api_name=False)
    search_btn.click(sessions, [coach, *filters], shown, api_name="coach_sessions")
    table.select(open_row, [coach, listed], shown, api_name=False)
    session_box.submit(open_session, [coach, session_box], shown, api_name="coach_open_session")
    turn.input(open_answer, [coach, opened, turn], shown, api_name="coach_open_answer")
    save_btn.click(review_answer, [coach, opened, form_for, turn, note, score, *verdicts], shown,
                   api_name="coach_review_answer").then(
        refresh_list, [coach, *filters], [listed, table], api_name=False)
    many_btn.click(export_sessions, [coach, *filters, many_fmt], shown, api_name="coach_export_sessions")
    one_btn.click(export_session, [coach, opened, one_fmt],
                  replies.ordered(replies.COACH_EXPORT_SESSION, {"status": status, "file": one_file,
                                                                 "file_box": one_file_box}),
                  api_name="coach_export_session")
