"""The Progress tab: my scores over time, weakest topics, often-missed points, past sessions."""

from __future__ import annotations

import gradio as gr
import pandas as pd  # a Gradio dependency; its plot components take DataFrames

from bot import replies
from bot.history import History
from bot.interview import Interview
from bot.progress import MIN_ANSWERS, WEAK_BELOW
from bot.ui import handlers, progress_handlers
from bot.ui.handlers import View
from bot.ui.practice import Practice, who_starts
from bot.ui.progress_handlers import WEAK_TOPICS, ProgressView, ReplayView


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with readable column names (`columns`: key -> name)."""
    frame = pd.DataFrame([{name: r[key] for key, name in columns.items()} for r in rows],
                         columns=list(columns.values()))
    return frame


def _chart(plot: type, rows: list[dict], columns: dict[str, str]):
    """A chart over labelled points in their own order (the x axis is the labels themselves, so its
    ticks are whole sessions and answers, never 1.5), hidden while there is nothing to compare."""
    frame = _frame(rows, columns)
    labels = [r["label"] for r in rows]
    return plot(value=frame, sort=labels or None, visible=bool(rows))


def build_progress(interview: Interview, history: History, owner: gr.State, token: gr.State,
                   practice: Practice, tabs: gr.Tabs) -> None:
    with gr.Tab("Progress", id="progress") as tab:
        gr.Markdown("Your sessions on this browser (or your Hugging Face account when signed in). "
                    "A coach's score, when given, replaces the AI's in these figures.")
        refresh = gr.Button("Refresh")
        status = gr.Markdown()
        overview = gr.Markdown(elem_id="progress-overview")
        reviews = gr.Markdown(elem_id="coach-reviews")
        guidance = gr.Markdown(elem_id="progress-guidance")
        weak_btn = gr.Button(f"Practise my {WEAK_TOPICS} weakest topics", variant="primary")
        charts_note = gr.Markdown()
        with gr.Row():
            by_session = gr.LinePlot(x="session", y="average score", title="Average score per session",
                                     elem_id="progress-by-session",
                                     y_lim=[0, 10], height=260, visible=False, tooltip="all")
            by_turn = gr.LinePlot(x="answer", y="score", title="Score per answer, in order", y_lim=[0, 10],
                                  elem_id="progress-by-answer",
                                  height=260, visible=False, tooltip="all")
        with gr.Row():
            topics = gr.Dataframe(headers=["topic", "answers", "average", "call"], interactive=False, wrap=True,
                                  column_widths=["36%", "19%", "19%", "26%"], label="By topic (weakest first)",
                                  max_height=360)
            skills = gr.Dataframe(headers=["skill", "answers", "covered", "call"], interactive=False, wrap=True,
                                  column_widths=["46%", "16%", "16%", "22%"],
                                  label="By skill: rubric points grouped (least covered first)", max_height=360)
        gr.Markdown("### Past sessions")
        with gr.Row():
            pick = gr.Dropdown([], label="Your sessions", allow_custom_value=True, scale=4)  # checked by owner
            replay_btn = gr.Button("Replay", scale=1)
        replay_status = gr.Markdown()
        transcript = gr.Markdown()
        with gr.Row(visible=False) as spoken_box:  # shown once a replayed session has recordings
            spoken = gr.Dropdown([], label="Recordings of spoken answers", allow_custom_value=True, scale=2)
            audio = gr.Audio(label="Recording", interactive=False, scale=3)

    shown = replies.ordered(replies.PROGRESS, {
        "status": status, "overview": overview, "reviews": reviews, "guidance": guidance,
        "charts_note": charts_note, "by_session": by_session, "by_turn": by_turn, "topics": topics,
        "skills": skills, "sessions": pick})

    def show(v: ProgressView) -> dict:
        return {status: v.status, overview: v.overview, reviews: v.reviews, guidance: v.guidance,
                charts_note: v.charts_note,
                by_session: _chart(gr.LinePlot, v.by_session, {"label": "session", "average": "average score"}),
                by_turn: _chart(gr.LinePlot, v.by_turn, {"label": "answer", "score": "score", "question": "question"}),
                topics: v.topics, skills: v.skills, pick: gr.Dropdown(choices=v.sessions, value=None)}

    def run_progress(me: str | None) -> dict:
        return show(progress_handlers.progress(history, me))

    gr.on([refresh.click, tab.select], run_progress, owner, shown, api_name="progress")

    replayed = replies.ordered(replies.REPLAY, {"status": replay_status, "transcript": transcript,
                                                "recordings": spoken, "audio": audio, "recordings_box": spoken_box})

    def replay_out(v: ReplayView) -> dict:
        out = {replay_status: v.status, audio: v.audio}  # None leaves transcript and recordings as they were
        if v.transcript is not None:
            out[transcript] = v.transcript
        if v.recordings is not None:  # typed answers have no recordings: no empty player for them
            out[spoken] = gr.Dropdown(choices=v.recordings, value=None)
            out[spoken_box] = gr.Row(visible=bool(v.recordings))
        return out

    def run_replay(me: str | None, session_id: str | None) -> dict:
        return replay_out(progress_handlers.replay(history, me, session_id))

    def run_recording(me: str | None, session_id: str | None, turn_id: int | None) -> dict:
        if turn_id is None:
            return {audio: None}
        return replay_out(progress_handlers.recording(history, me, session_id, turn_id))

    replay_btn.click(run_replay, [owner, pick], replayed, api_name="replay_session")
    spoken.change(run_recording, [owner, pick, spoken], replayed, api_name="play_recording")

    def practise_weak(sid: str | None, tid: int | None, messages: list[dict] | None, me: str | None,
                      tok: str | None, name: str, role: str, level: str) -> dict:
        me, tok = who_starts(me, tok)
        weak = progress_handlers.progress(history, me).weak_topics
        before = View(session_id=sid, turn_id=tid, chat=list(messages or []))
        if not weak:
            view = View(session_id=sid, turn_id=tid, chat=before.chat, answer=None,
                        status=f"⚠️ No topic is called weak yet: a topic is weak once you have answered "
                               f"{MIN_ANSWERS} questions on it averaging below {WEAK_BELOW:g} / 10 (the Progress "
                               "tab shows where each stands). Keep practising, or start a session as usual.")
        else:
            view = handlers.start(interview, before, name, role, level, owner=me, topics=weak)
        return {**practice.render(view), owner: me, token: tok}

    weak_btn.click(practise_weak, [*practice.state, owner, token, practice.candidate, practice.role, practice.level],
                   [*practice.outputs, owner, token], api_name="practise_weak_topics").then(
        lambda: gr.Tabs(selected="practice"), None, tabs, api_name=False)
