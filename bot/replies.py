"""What each endpoint of the app's API replies, by name: the one place that fixes the order.

A Gradio client's `predict` returns a tuple in the order of the event's outputs, gr.State left
out. The tabs build their output lists from the names below (bot/ui/practice.py, progress.py,
coach.py) and their handlers return `{component: value}`, so a new output is added here once;
API clients (devtools/loadtest.py, the tests) read a reply with `reply(api_name, out)["status"]`.
It is the app's API contract, so it lives beside the package's other plain-data modules rather than
in bot/ui/ (which only app.py imports): no Gradio here, a client imports it without loading the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The Practice tab: every practice endpoint (and the page load) shows a whole View.
PRACTICE = ("chat", "answer", "status", "score", "points", "notes", "model_answer", "follow_ups", "summary",
            "delivery", "recording", "role", "level", "evidence", "earlier", "draft_note")
# (Buttons are outputs too, to enable and relabel them, but like gr.State they are not in an API reply.)
# Saving the answer box as a draft (typing, leaving the box): a short note under it.
DRAFT = ("draft_note",)
# The Progress tab: my figures; replaying a past session or one of its recordings.
PROGRESS = ("status", "overview", "reviews", "guidance", "charts_note", "by_session", "by_turn", "topics", "skills",
            "sessions")
REPLAY = ("status", "transcript", "recordings", "audio", "recordings_box")
# The Interview tab (mock interview mode): every endpoint shows the whole tab.
# (Its buttons are outputs too, to enable and hide them, but not in an API reply.)
MOCK = ("status", "question", "clock", "answer", "recording", "report", "download", "download_pdf", "timer")
# The Coach tab.
# The review form has one verdict dropdown per rubric point of the answer (the rest hidden).
COACH_VERDICTS = tuple(f"verdict_{n}" for n in range(1, 13))
COACH = ("status", "table", "transcript", "turns", "turn", "audio", "audio_box", "review_form", "note", "score",
         *COACH_VERDICTS, "file", "file_box", "session_file", "session_file_box")
# Signing in lists the sessions; signing out clears the desk.
COACH_SIGN_IN_HF = ("signed", "sign_in", "area", *COACH)
COACH_SIGN_IN = ("signed", "sign_in", "area", "password", *COACH)
COACH_SIGN_OUT = COACH_SIGN_IN_HF
COACH_EXPORT_SESSION = ("status", "file", "file_box")

# Rows and columns an endpoint shows or hides: outputs of the event, but a client's reply has no value
# for them (gradio_client leaves layout blocks out), so `reply` skips these names.
LAYOUT = frozenset({"area", "sign_in", "review_form", "audio_box", "recordings_box", "file_box", "session_file_box"})

ENDPOINTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("/start", "/start_new", "/cancel_start", "/submit", "/transcribe", "/follow_up",
                     "/next_question", "/retry_question", "/show_model_answer", "/end_session",
                     "/practise_weak_topics"), PRACTICE),
    **dict.fromkeys(("/mock_start", "/mock_submit", "/mock_begin", "/mock_end", "/mock_tick", "/mock_transcribe"),
                    MOCK),
    "/save_draft": DRAFT,
    "/progress": PROGRESS,
    "/replay_session": REPLAY,
    "/play_recording": REPLAY,
    "/coach_sign_in": COACH_SIGN_IN,
    "/coach_sign_in_hf": COACH_SIGN_IN_HF,
    "/coach_sign_out": COACH_SIGN_OUT,
    **dict.fromkeys(("/coach_sessions", "/coach_open_session", "/coach_open_answer", "/coach_review_answer",
                     "/coach_export_sessions"), COACH),
    "/coach_export_session": COACH_EXPORT_SESSION,
}


def reply(api_name: str, out: Sequence[Any]) -> dict[str, Any]:
    """An endpoint's reply tuple as {output name: value}."""
    names = [n for n in ENDPOINTS["/" + api_name.lstrip("/")] if n not in LAYOUT]
    if len(out) != len(names):
        raise ValueError(f"{api_name} replied with {len(out)} values; bot/replies.py names {len(names)}")
    return dict(zip(names, out, strict=True))


def ordered(names: Sequence[str], components: dict[str, Any]) -> list[Any]:
    """The components in the order of `names` (a tab's outputs); every name needs one, and no more."""
    if set(names) != set(components):
        raise ValueError(f"outputs {sorted(components)} do not match the names {sorted(names)}")
    return [components[n] for n in names]
