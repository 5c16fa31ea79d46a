"""The Practice tab: thin wiring from components to bot/ui/handlers.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from bot.corpus import ROLES, Level
from bot.identity import anonymous
from bot.interview import Interview
from bot.ui import handlers, replies
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
    outputs: list  # session state, then the components named by bot/ui/replies.py's PRACTICE
    render: Callable[[View], dict]  # a View as {component: value}
    started: gr.events.Dependency  # the Start click, for chaining


def who_starts(owner: str | None, token: str | None) -> tuple[str, str | None]:
    """The caller's owner key from server-side state; a caller without one (an API client that
    never loaded the page) gets a new identity of its own for the rest of its connection."""
    if owner:
        return owner, token
    fresh = anonymous()
    return fresh.owner, fresh.token


def build_practice(interview: Interview, owner: gr.State, token: gr.State) -> Practice:
    session_id = gr.State(None)
    turn_id = gr.State(None)
    history = gr.State([])
    with gr.Row():
        candidate = gr.Textbox(label="Your name", placeholder="e.g. Ana", scale=2)
        role = gr.Dropdown([(ROLE_LABELS[r], r) for r in ROLES], value=ROLES[0], label="Role", scale=2)
        level = gr.Radio([lv.value for lv in Level], value="mid", label="Level", scale=2)
        start_btn = gr.Button("Start", variant="primary", scale=1)
    status = gr.Markdown()
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="Interview", height=420)
            answer = gr.Textbox(label="Your answer", lines=6, placeholder="Type your answer, then Submit.")
            recording = gr.Audio(sources=["microphone", "upload"], type="filepath",
                                 label="Or answer aloud (record or upload; the transcript fills the box above)")
            with gr.Row():
                submit_btn = gr.Button("Submit answer", variant="primary")
                next_btn = gr.Button("Next question")
                end_btn = gr.Button("End session", variant="stop")
        with gr.Column(scale=4, elem_id="feedback-panel"):
            score = gr.Markdown(label="Score")
            delivery = gr.Markdown()
            points = gr.Markdown(elem_id="per-point-feedback")
            notes = gr.Markdown()
            follow_ups = gr.Radio([], type="index", label="Follow-up questions")
            follow_btn = gr.Button("Answer the selected follow-up")
            with gr.Accordion("Model answer", open=False):
                model_answer = gr.Markdown()
    summary = gr.Markdown()

    state = [session_id, turn_id, history]
    outputs = [*state, *replies.ordered(replies.PRACTICE, {
        "chat": chat, "answer": answer, "status": status, "score": score, "points": points, "notes": notes,
        "model_answer": model_answer, "follow_ups": follow_ups, "summary": summary, "delivery": delivery,
        "recording": recording, "role": role, "level": level})]

    def render(v: View) -> dict:
        shown = {session_id: v.session_id, turn_id: v.turn_id, history: v.chat, chat: v.chat, status: v.status,
                 score: v.score, points: v.points, notes: v.notes, model_answer: v.model_answer,
                 follow_ups: gr.Radio(choices=v.follow_ups, value=None), summary: v.summary, delivery: v.delivery}
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

    def start(sid: str | None, tid: int | None, messages: list[dict] | None, me: str | None, tok: str | None,
              candidate: str, role: str, level: str) -> dict:  # the API's parameters: candidate, role, level
        me, tok = who_starts(me, tok)
        before = View(session_id=sid, turn_id=tid, chat=list(messages or []))
        return {**render(handlers.start(interview, before, candidate, role, level, owner=me)), owner: me, token: tok}

    started = start_btn.click(start, [*state, owner, token, candidate, role, level], [*outputs, owner, token],
                              api_name="start")
    gr.on([submit_btn.click, answer.submit], wire(handlers.submit), [*state, answer], outputs, api_name="submit")
    uploads = Path(gr.utils.get_upload_folder())  # where Gradio puts uploads: a refused one is deleted there

    def transcribe(interview: Interview, view: View, recording: str | None) -> View:
        return handlers.transcribe(interview, view, recording, uploads)

    gr.on([recording.stop_recording, recording.upload], wire(transcribe), [*state, recording], outputs,
          api_name="transcribe")
    follow_btn.click(wire(handlers.follow_up), [*state, follow_ups], outputs, api_name="follow_up")
    next_btn.click(wire(handlers.next_question), state, outputs, api_name="next_question")
    end_btn.click(wire(handlers.end), state, outputs, api_name="end_session")
    return Practice(candidate, role, level, state, outputs, render, started)
