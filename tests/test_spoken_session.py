"""A spoken answer through the app's handlers: kept, transcribed, editable, graded with delivery."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.services import build_interview
from bot.speech import Transcriber
from bot.ui import handlers
from bot.ui.handlers import View
from tests.helpers import open_question

AUDIO = Path(__file__).resolve().parent / "fixtures" / "audio"


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory) -> Transcriber:
    return Transcriber(cache_dir=tmp_path_factory.mktemp("whisper"))


@pytest.fixture
def started(settings, embedder, transcriber):
    interview = build_interview(settings, embedder=embedder, transcriber=transcriber)
    view = handlers.start(interview, View(None, None, []), "Ana", "embedding-engineer", "mid",
                          question_id=open_question(interview.corpus))
    return interview, view


def test_a_recording_is_kept_transcribed_and_graded_with_delivery(started, settings) -> None:
    interview, view = started
    heard = handlers.transcribe(interview, view, str(AUDIO / "negative_sampling.wav"))
    assert "negative sampling" in heard.answer.lower() and "Transcribed" in heard.status
    assert "words/min" in heard.delivery

    graded = handlers.submit(interview, heard, heard.answer + " It is much cheaper than a full softmax.")
    assert graded.status == "" and "words/min" in graded.delivery and graded.score

    with sqlite3.connect(settings.database) as db:
        audio_path, transcript, delivery, answer = db.execute(
            "select audio_path, transcript, delivery, answer from turns where id = ?", [view.turn_id]).fetchone()
    assert Path(audio_path).is_file() and Path(audio_path).parent.parent == settings.audio_dir
    assert Path(audio_path).name == f"turn-{view.turn_id}.wav"  # a name the server chose, our own re-encoding
    assert Path(audio_path).read_bytes()[:4] == b"RIFF"
    assert "negative sampling" in transcript.lower()
    assert json.loads(delivery)["wpm"] > 0
    assert answer.endswith("full softmax.")  # what the candidate corrected and submitted is what is graded


@pytest.mark.parametrize(("fixture", "message"), [
    ("silence.wav", "We heard no speech"),
    ("not_audio.wav", "could not be read as audio"),
])
def test_bad_audio_gets_a_sentence_and_the_session_goes_on(started, fixture: str, message: str) -> None:
    interview, view = started
    after = handlers.transcribe(interview, view, str(AUDIO / fixture))
    assert message in after.status and after.answer is None  # the answer box is left alone
    assert interview.store.turn(view.turn_id)["audio_path"] is None  # nothing is kept from what failed
    assert not any(p.is_file() for p in interview.audio_dir.rglob("*"))
    typed = handlers.submit(interview, after, "Negative sampling updates only a few sampled words per step.")
    assert typed.status == "" and typed.score
