"""The Progress tab: my scores over time, weakest topics, often-missed points, past sessions."""

from __future__ import annotations

import gradio as gr
import pandas as pd  # a Gradio dependency; its plot components take DataFrames

from bot.history import History
from bot.interview import Interview
from bot.ui import handlers, progress_handlers, replies
from bot.ui.handlers import View
from bot.ui.practice import Practice, who_starts
from bot.ui.progress_handlers import WEAK_TOPICS, ProgressView, ReplayView


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with readable column names (`columns`: key -> name)."""
    frame = pd.DataFrame([{name: r[key] for key, name in columns.items()} for r in rows],
                         columns=list(columns.values()))
    return frame


def build_progress(interview: Interview, history: History, owner: gr.State, token: gr.State,
                   practice: Practice, tabs: gr.Tabs) -> None:
    with gr.Tab("Progress", id="progress") as tab:
        gr.Markdown("Your sessions on this browser (or your Hugging Face account when signed in). "
                    "A coach's score, when given, replaces the AI's in these figures.")
        refresh = gr.Button("Refresh")
        status = gr.Markdown()
        overview = gr.Markdown()
        with gr.Row():
            by_session = gr.LinePlot(x="started", y="average score", title="Average score per session",
                                     y_lim=[0, 10], height=260)
            by_turn = gr.LinePlot(x="answer", y="score", title="Score per answer, in order", y_lim=[0, 10],
                                  x_axis_format="~g", height=260)
        with gr.Row():
            topics = gr.BarPlot(x="topic", y="average score", title="Average by topic (weakest first)",
                                y_lim=[0, 10], sort="y", x_label_angle=-30, height=300)
            categories = gr.BarPlot(x="category", y="average score", title="Average by category",
                                    y_lim=[0, 10], sort="y", height=300)
        missed = gr.Dataframe(headers=["rubric point not fully covered", "times missed", "times asked"],
                              interactive=False, wrap=True, column_widths=["76%", "12%", "12%"],
                              label="Most often missed points")
        weak_btn = gr.Button(f"Practise my {WEAK_TOPICS} weakest topics", variant="primary")
        gr.Markdown("### Past sessions")
        with gr.Row():
            pick = gr.Dropdown([], label="Your sessions", allow_custom_value=True, scale=4)  # checked by owner
            replay_btn = gr.Button("Replay", scale=1)
        replay_status = gr.Markdown()
        transcript = gr.Markdown()
        with gr.Row():
            spoken = gr.Dropdown([], label="Recordings of spoken answers", allow_custom_value=True, scale=2)
            audio = gr.Audio(label="Recording", interactive=False, scale=3)

    shown = replies.ordered(replies.PROGRESS, {
        "status": status, "overview": overview, "by_session": by_session, "by_turn": by_turn, "topics": topics,
        "categories": categories, "missed": missed, "sessions": pick})

    def show(v: ProgressView) -> dict:
        return {status: v.status, overview: v.overview,
                by_session: _frame([{**s, "started_at": s["started_at"][:19].replace("T", " ")} for s in v.by_session],
                                   {"started_at": "started", "average": "average score"}),
                by_turn: _frame(v.by_turn, {"n": "answer", "score": "score"}),
                topics: _frame(v.topics, {"topic": "topic", "average": "average score", "answered": "answers"}),
                categories: _frame(v.categories,
                                   {"category": "category", "average": "average score", "answered": "answers"}),
                missed: v.missed, pick: gr.Dropdown(choices=v.sessions, value=None)}

    def run_progress(me: str | None) -> dict:
        return show(progress_handlers.progress(history, me))

    gr.on([refresh.click, tab.select], run_progress, owner, shown, api_name="progress")

    replayed = replies.ordered(replies.REPLAY, {"status": replay_status, "transcript": transcript,
                                                "recordings": spoken, "audio": audio})

    def replay_out(v: ReplayView) -> dict:
        out = {replay_status: v.status, audio: v.audio}  # None leaves transcript and recordings as they were
        if v.transcript is not None:
            out[transcript] = v.transcript
        if v.recordings is not None:
            out[spoken] = gr.Dropdown(choices=v.recordings, value=None)
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
                        status="⚠️ Answer a few questions first: your weak topics come from your graded answers.")
        else:
            view = handlers.start(interview, before, name, role, level, owner=me, topics=weak)
        return {**practice.render(view), owner: me, token: tok}

    weak_btn.click(practise_weak, [*practice.state, owner, token, practice.candidate, practice.role, practice.level],
                   [*practice.outputs, owner, token], api_name="practise_weak_topics").then(
        lambda: gr.Tabs(selected="practice"), None, tabs, api_name=False)
