"""The Interview tab (mock interview mode): thin wiring from components to bot/ui/mock_handlers.py.

A gr.Timer ticks once a second while a question's think or answer time runs: the countdown is
drawn from the deadline kept in the page's state, and at zero the handler moves on (the answer
in the box is submitted as it stands). Ticks skip the progress animation and, being cheap, run
outside the grading concurrency limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from bot import replies
from bot.corpus import ROLES, Level
from bot.interview import Interview
from bot.mock import DEFAULT_QUESTIONS, MAX_ANSWER_S, MAX_QUESTIONS, MAX_THINK_S, MockInterview
from bot.ui import mock_handlers as mh
from bot.ui.mock_handlers import ANSWER, DONE, IDLE, THINK, MockView
from bot.ui.practice import ROLE_LABELS, who_starts

DEFAULT_ANSWER_S = 180


@dataclass
class Mock:
    """What the page (bot/ui/layout.py) needs from this tab."""

    mock: MockInterview
    candidate: gr.Textbox
    outputs: list  # the tab's state, the components named by bot/replies.py's MOCK, then the buttons
    render: Callable[[MockView], dict]
    started: gr.events.Dependency  # the Start click, for chaining


def build_mock(interview: Interview, owner: gr.State, token: gr.State) -> Mock:
    mock = MockInterview(interview)
    state = gr.State(MockView().state())
    gr.Markdown("A mock interview: a fixed number of questions, a clock if you want one, and no feedback "
                "until the end, when a report card shows your scores, strengths and gaps by topic, "
                "what you got wrong and what to practise next. Every answer is saved as you go.")
    with gr.Row():
        candidate = gr.Textbox(label="Name", placeholder="e.g. Ana", scale=2)
        role = gr.Dropdown([(ROLE_LABELS[r], r) for r in ROLES], value=ROLES[0], label="Interview role", scale=2)
        level = gr.Dropdown([lv.value for lv in Level], value="mid", label="Interview level", scale=1)
    with gr.Row():
        questions = gr.Number(DEFAULT_QUESTIONS, label="Questions", precision=0, minimum=1, maximum=MAX_QUESTIONS)
        think = gr.Number(0, label="Think time per question (seconds, 0 = none)", precision=0, minimum=0,
                          maximum=MAX_THINK_S)
        limit = gr.Number(DEFAULT_ANSWER_S, label="Answer time per question (seconds, 0 = no timer)", precision=0,
                          minimum=0, maximum=MAX_ANSWER_S)
        start_btn = gr.Button("Start interview", variant="primary")
    status = gr.Markdown(elem_id="mock-status")
    question = gr.Markdown(elem_id="mock-question")
    clock = gr.Markdown(elem_id="mock-clock")
    timer = gr.Timer(1.0, active=False)
    answer = gr.Textbox(label="Your answer to this question", lines=6, interactive=False,
                        placeholder="Type your answer, or record it below; Submit moves on to the next question.")
    recording = gr.Audio(sources=["microphone", "upload"], type="filepath", interactive=False,
                         label="Or answer aloud (record or upload; the transcript fills the box above)")
    with gr.Row():
        begin_btn = gr.Button("Start answering now", visible=False)
        submit_btn = gr.Button("Submit and continue", variant="primary", interactive=False)
        end_btn = gr.Button("End interview", variant="stop", interactive=False)
    report = gr.Markdown(elem_id="report-card")
    with gr.Row():
        download = gr.DownloadButton("Download the report card (Markdown)", visible=False)
        download_pdf = gr.DownloadButton("Download the report card (PDF)", visible=False)

    outputs = [state, *replies.ordered(replies.MOCK, {
        "status": status, "question": question, "clock": clock, "answer": answer, "recording": recording,
        "report": report, "download": download, "download_pdf": download_pdf, "timer": timer}),
        start_btn, begin_btn, submit_btn, end_btn]

    def render(v: MockView) -> dict:
        if v.only_clock:
            return {clock: v.clock}
        running = v.phase in (THINK, ANSWER)
        shown = {state: v.state(), status: v.status, clock: v.clock,
                 timer: gr.Timer(active=running and v.deadline is not None),
                 answer: gr.Textbox(interactive=v.phase == ANSWER),
                 recording: gr.Audio(interactive=v.phase == ANSWER),
                 start_btn: gr.Button(interactive=v.phase in (IDLE, DONE)),
                 begin_btn: gr.Button(visible=v.phase == THINK),
                 submit_btn: gr.Button(interactive=v.phase == ANSWER),
                 end_btn: gr.Button(interactive=running)}
        if v.answer is not None:
            shown[answer] = gr.Textbox(value=v.answer, interactive=v.phase == ANSWER)
        if v.answer == "":
            shown[recording] = gr.Audio(value=None, interactive=v.phase == ANSWER)
        if v.question is not None:
            shown[question] = v.question
        if v.report is not None:
            shown[report] = v.report
            shown[download] = gr.DownloadButton(value=v.report_file, visible=bool(v.report_file))
            shown[download_pdf] = gr.DownloadButton(value=v.report_pdf, visible=bool(v.report_pdf))
        return shown

    def wire(handler: Callable[..., MockView]) -> Callable[..., dict]:
        def run(kept: dict | None, *args) -> dict:
            return render(handler(mock, MockView.of_state(kept), *args))
        run.__name__ = handler.__name__
        return run

    def start(kept: dict | None, me: str | None, tok: str | None, name: str, role_id: str, lvl: str,
              n: float | None, think_s: float | None, answer_s: float | None) -> dict:
        me, tok = who_starts(me, tok)
        view = mh.start(mock, MockView.of_state(kept), name, role_id, lvl, n, think_s, answer_s, owner=me)
        return {**render(view), owner: me, token: tok}

    started = start_btn.click(start, [state, owner, token, candidate, role, level, questions, think, limit],
                              [*outputs, owner, token], api_name="mock_start")
    gr.on([submit_btn.click, answer.submit], wire(mh.submit), [state, answer], outputs, api_name="mock_submit")
    begin_btn.click(wire(mh.begin), [state], outputs, api_name="mock_begin")
    end_btn.click(wire(mh.end), [state, answer], outputs, api_name="mock_end")
    timer.tick(wire(mh.tick), [state, answer], outputs, api_name="mock_tick", show_progress="hidden",
               concurrency_limit=None)
    uploads = Path(gr.utils.get_upload_folder())

    def transcribe(m: MockInterview, view: MockView, rec: str | None) -> MockView:
        return mh.transcribe(m, view, rec, uploads)

    gr.on([recording.stop_recording, recording.upload], wire(transcribe), [state, recording], outputs,
          api_name="mock_transcribe")
    return Mock(mock, candidate, outputs, render, started)

