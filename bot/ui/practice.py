"""The Practice tab: thin wiring from components to bot/ui/handlers.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from bot import replies
from bot.corpus import ROLES, Level
from bot.identity import anonymous
from bot.interview import Interview
from bot.ui import handlers
from bot.ui.handlers import View

ROLE_LABELS = {
    "nlp-llm-engineer": "NLP / LLM engineer",
    "ner-specialist": "NER / entity-recognition specialist",
    "embedding-engineer": "Embedding-model engineer",
    "ai-model-designer": "AI model designer",
}


@dataclass
class Practice:
    """What the other tabs need from this one."""

    candidate: gr.Textbox
    role: gr.Dropdown
    level: gr.Radio
    state: list[gr.State]
    outputs: list  # session state, the components named by bot/replies.py's PRACTICE, then the buttons
    render: Callable[[View], dict]  # a View as {component: value}
    started: gr.events.Dependency  # the Start click, for chaining
    confirmed: gr.events.Dependency | None = None  # "Yes, start a new session", for chaining


def who_starts(owner: str | None, token: str | None) -> tuple[str, str | None]:
    """The caller's owner key from server-side state; a caller without one (an API client that
    never loaded the page) gets a new identity of its own for the rest of its connection."""
    if owner:
        return owner, token
    fresh = anonymous()
    return fresh.owner, fresh.token


# A change to the answer box (typing, pasting, a transcript) saves it as a draft 1.5 s after the last one
# (a click on the hidden "Save draft" button); leaving the box and every button save it too. The debounce
# is JS only: no request per keystroke. (`.change`, not `.input`: Gradio fires `input` for key presses
# only, so a paste or Playwright's fill would not count.)
DRAFT_DEBOUNCE_JS = """() => {
  clearTimeout(window.__practiceDraftTimer);
  window.__practiceDraftTimer = setTimeout(() => document.querySelector("#save-draft")?.click(), 1500);
}"""
# Gradio's HighlightedText lays its stretches out as flex items that break inside words; the answer reads
# as running text instead, with dark label text on the light verdict colours. (Through `head`, so this
# tab's style needs nothing from launch().)
EVIDENCE_STYLE = """<style>
#evidence .textfield { display: block; word-break: normal; overflow-wrap: anywhere; }
#evidence .textfield > * { display: inline; }
#evidence .label { color: #1f2937 !important; }
</style>"""
NEXT_QUESTION, NEW_SESSION = "Next question", "Start a new session"
MODEL_ANSWER, MODEL_ANSWER_SKIPS = "Show model answer", "Show model answer (skips the follow-ups)"


def build_practice(interview: Interview, owner: gr.State, token: gr.State) -> Practice:
    session_id = gr.State(None)
    turn_id = gr.State(None)
    history = gr.State([])
    gr.HTML("", head=EVIDENCE_STYLE, container=False, padding=False)
    with gr.Row():
        candidate = gr.Textbox(label="Your name", placeholder="e.g. Ana", scale=2)
        role = gr.Dropdown([(ROLE_LABELS[r], r) for r in ROLES], value=ROLES[0], label="Role", scale=2)
        level = gr.Radio([lv.value for lv in Level], value="mid", label="Level", scale=2)
        with gr.Column(scale=1, min_width=160):
            start_btn = gr.Button("Start", variant="primary")
            confirm_btn = gr.Button("Yes, start a new session", variant="primary", visible=False)
            cancel_btn = gr.Button("Cancel", visible=False)
    status = gr.Markdown(elem_id="practice-status")
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Interview", height=420)
            answer = gr.Textbox("", label="Your answer", lines=6, placeholder="Type your answer, then Submit.")  # "": optional in the API
            draft_note = gr.Markdown(elem_id="draft-note")
            save_draft_btn = gr.Button("Save draft", elem_id="save-draft", visible="hidden")
            recording = gr.Audio(sources=["microphone", "upload"], type="filepath",
                                 label="Or answer aloud (record or upload; the transcript fills the box above)")
            with gr.Row():
                submit_btn = gr.Button("Submit answer", variant="primary")
                next_btn = gr.Button(NEXT_QUESTION)
                end_btn = gr.Button("End session", variant="stop")
        with gr.Column(scale=4, elem_id="feedback-panel"):
            score = gr.Markdown(label="Score")
            delivery = gr.Markdown()
            evidence = gr.HighlightedText(label="Your answer: the words that earned each point", visible=False,
                                          show_legend=False, show_inline_category=True, elem_id="evidence")
            points = gr.Markdown(elem_id="per-point-feedback")
            notes = gr.Markdown()
            follow_ups = gr.Radio([], type="index", label="Follow-up questions")
            with gr.Row():
                follow_btn = gr.Button("Answer the selected follow-up", interactive=False)
                retry_btn = gr.Button("Retry this question", interactive=False)
            model_answer_btn = gr.Button(MODEL_ANSWER, interactive=False)
            model_answer = gr.Markdown(elem_id="model-answer")
            earlier = gr.Markdown(elem_id="earlier-feedback")
    summary = gr.Markdown(elem_id="session-summary")

    state = [session_id, turn_id, history]
    outputs = [*state, *replies.ordered(replies.PRACTICE, {
        "chat": chat, "answer": answer, "status": status, "score": score, "points": points, "notes": notes,
        "model_answer": model_answer, "follow_ups": follow_ups, "summary": summary, "delivery": delivery,
        "recording": recording, "role": role, "level": level, "evidence": evidence, "earlier": earlier,
        "draft_note": draft_note}),
        start_btn, confirm_btn, cancel_btn, submit_btn, next_btn, follow_btn, retry_btn, model_answer_btn]

    def render(v: View) -> dict:
        shown = {session_id: v.session_id, turn_id: v.turn_id, history: v.chat, chat: v.chat, status: v.status,
                 score: v.score, points: v.points, notes: v.notes, model_answer: v.model_answer,
                 follow_ups: gr.Radio(choices=v.follow_ups, value=None, interactive=bool(v.follow_ups)),
                 summary: v.summary, delivery: v.delivery, earlier: v.earlier, draft_note: v.draft_note,
                 evidence: gr.HighlightedText(value=v.evidence or None, color_map=v.evidence_colours,
                                              visible=bool(v.evidence)),
                 start_btn: gr.Button(visible=not v.confirming), confirm_btn: gr.Button(visible=v.confirming),
                 cancel_btn: gr.Button(visible=v.confirming), submit_btn: gr.Button(interactive=v.can_submit),
                 next_btn: gr.Button(value=NEW_SESSION if v.ended else NEXT_QUESTION),
                 follow_btn: gr.Button(interactive=bool(v.follow_ups)), retry_btn: gr.Button(interactive=v.can_retry),
                 model_answer_btn: gr.Button(value=MODEL_ANSWER_SKIPS if v.model_answer_skips else MODEL_ANSWER,
                                             interactive=v.can_show_model_answer)}
        if v.answer is not None:  # None leaves the answer box as the candidate left it
            shown[answer] = v.answer
        if v.answer == "":
            shown[recording] = None  # a cleared answer box clears the recording too
        if v.role is not None:
            shown[role] = v.role
        if v.level is not None:
            shown[level] = v.level
        return shown

    def wire(handler: Callable[..., View]) -> Callable[..., dict]:
        def run(sid: str | None, tid: int | None, messages: list[dict] | None, *args) -> dict:
            before = View(session_id=sid, turn_id=tid, chat=list(messages or []))
            return render(handler(interview, before, *args))
        run.__name__ = handler.__name__
        return run

    def starter(handler: Callable[..., View]) -> Callable[..., dict]:
        def run(sid: str | None, tid: int | None, messages: list[dict] | None, me: str | None, tok: str | None,
                candidate: str, role: str, level: str, typed: str | None = None) -> dict:
            me, tok = who_starts(me, tok)
            before = View(session_id=sid, turn_id=tid, chat=list(messages or []))
            return {**render(handler(interview, before, candidate, role, level, owner=me, answer=typed)),
                    owner: me, token: tok}
        run.__name__ = handler.__name__
        return run

    starting = [*state, owner, token, candidate, role, level, answer]  # the API's parameters: candidate, role, level, answer
    started = start_btn.click(starter(handlers.request_start), starting, [*outputs, owner, token], api_name="start")
    confirmed = confirm_btn.click(starter(handlers.start), starting, [*outputs, owner, token], api_name="start_new")
    cancel_btn.click(wire(handlers.cancel_start), state, outputs, api_name="cancel_start")
    gr.on([submit_btn.click, answer.submit], wire(handlers.submit), [*state, answer], outputs, api_name="submit")
    uploads = Path(gr.utils.get_upload_folder())  # where Gradio puts uploads: a refused one is deleted there

    def transcribe(interview: Interview, view: View, recording: str | None) -> View:
        return handlers.transcribe(interview, view, recording, uploads)

    def save_draft(sid: str | None, tid: int | None, messages: list[dict] | None, typed: str | None) -> str:
        return handlers.save_draft(interview, View(session_id=sid, turn_id=tid, chat=[]), typed)

    gr.on([recording.stop_recording, recording.upload], wire(transcribe), [*state, recording], outputs,
          api_name="transcribe")
    follow_btn.click(wire(handlers.follow_up), [*state, follow_ups, answer], outputs, api_name="follow_up")
    next_btn.click(wire(handlers.next_question), [*state, answer], outputs, api_name="next_question")
    retry_btn.click(wire(handlers.retry), [*state, answer], outputs, api_name="retry_question")
    model_answer_btn.click(wire(handlers.show_model_answer), state, outputs, api_name="show_model_answer")
    end_btn.click(wire(handlers.end), [*state, answer], outputs, api_name="end_session")
    answer.change(None, None, None, js=DRAFT_DEBOUNCE_JS)
    gr.on([save_draft_btn.click, answer.blur], save_draft, [*state, answer], draft_note, api_name="save_draft",
          show_progress="hidden", trigger_mode="always_last", concurrency_limit=None)
    return Practice(candidate, role, level, state, outputs, render, started, confirmed)
