"""Offline transcription: the assembled model, accuracy on spoken fixtures, and clear errors for bad audio."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

import bot.speech as speech
from bot.delivery import measure
from bot.speech import (
    MODEL_BIN_SHA256,
    MODEL_BIN_SIZE,
    NO_SPEECH,
    SpeechError,
    Transcriber,
    assemble_offline_model,
)
from bot.text import tokens

AUDIO = Path(__file__).parent / "fixtures" / "audio"
SPOKEN = {
    "negative_sampling.wav": "Negative sampling updates only a few words at each training step.",
    "transformer.wav": "A transformer uses self attention to relate every token to every other token.",
    "fillers.wav": "Um, I think the model, you know, needs more labelled data.",
}
# Whisper writes American spelling and joins compounds with a hyphen; neither is a recognition error.
_SPELLING = {"labelled": "labeled"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def normalised_words(text: str) -> list[str]:
    return [_SPELLING.get(w, w) for w in tokens(text.replace("-", " "))]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance over words."""
    ref, hyp = normalised_words(reference), normalised_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(scope="session")
def transcriber(speech_cache: Path) -> Transcriber:
    return Transcriber(cache_dir=speech_cache)


def test_word_error_rate_helper():
    assert word_error_rate("a b c d", "a b c d") == 0
    assert word_error_rate("a b c d", "a x c") == 0.5
    assert word_error_rate("self attention is labelled", "Self-attention is labeled.") == 0


@pytest.mark.parametrize("name", sorted(SPOKEN))
def test_clean_speech_is_transcribed_accurately(transcriber: Transcriber, name: str):
    t = transcriber.transcribe(AUDIO / name)
    assert word_error_rate(SPOKEN[name], t.text) <= 0.25, t.text
    assert t.language == "en"
    assert 3.0 <= t.duration_s <= 8.0
    assert t.words and all(w.text for w in t.words)
    assert all(0 <= w.start <= w.end <= t.duration_s + 0.5 for w in t.words)
    assert [w.start for w in t.words] == sorted(w.start for w in t.words)


def test_transcript_words_feed_delivery_metrics(transcriber: Transcriber):
    t = transcriber.transcribe(AUDIO / "fillers.wav")
    d = measure(t.words)
    assert d.fillers.get("um") == 1
    assert d.words >= 9
    assert 0 < d.speaking_s <= t.duration_s


def test_model_loads_lazily_and_reports_load_time(transcriber: Transcriber):
    transcriber.load()
    assert transcriber.loaded
    assert transcriber.load_seconds is not None and transcriber.load_seconds > 0
    assert Transcriber(cache_dir=Path("/nonexistent")).loaded is False  # constructing does no work


@pytest.mark.parametrize("name", ["silence.wav", "low_noise.wav"])
def test_no_speech_is_a_clear_error(transcriber: Transcriber, name: str):
    with pytest.raises(SpeechError) as err:
        transcriber.transcribe(AUDIO / name)
    assert str(err.value) == NO_SPEECH


def test_a_file_that_is_not_audio_is_a_clear_error(transcriber: Transcriber, tmp_path: Path):
    with pytest.raises(SpeechError, match=r"^That file could not be read as audio \(.+\); upload a wav, mp3"):
        transcriber.transcribe(AUDIO / "not_audio.wav")
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    with pytest.raises(SpeechError, match="could not be read as audio"):
        transcriber.transcribe(empty)


def test_a_missing_file_is_a_clear_error(transcriber: Transcriber, tmp_path: Path):
    with pytest.raises(SpeechError, match=r"could not find the recording 'gone\.wav'; record or upload"):
        transcriber.transcribe(tmp_path / "gone.wav")


def test_a_recording_over_the_limit_is_refused(speech_cache: Path):
    short_limit = Transcriber(cache_dir=speech_cache, max_seconds=1)
    with pytest.raises(SpeechError) as err:
        short_limit.transcribe(AUDIO / "transformer.wav")
    assert str(err.value) == "That recording is 7 s long; the limit is 1 s — record a shorter answer."
    assert not short_limit.loaded  # refused before the model was needed


def test_lengths_read_in_minutes_and_seconds():
    assert speech._format_length(300) == "5 min"
    assert speech._format_length(300.2, round_up=True) == "5 min 1 s"
    assert speech._format_length(45) == "45 s"


def encode(samples, target: Path, codec: str) -> Path:
    """Write 16 kHz float samples with PyAV (the library faster-whisper decodes with) in another format."""
    import av

    rate = 48000 if codec == "libopus" else 16000
    with av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.format, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray((samples * 32767).astype("int16")[None, :], format="s16", layout="mono")
        frame.sample_rate = 16000
        for piece in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return target


@pytest.mark.parametrize(("suffix", "codec"), [(".mp3", "libmp3lame"), (".m4a", "aac"), (".ogg", "libopus"),
                                                (".webm", "libopus")])
def test_compressed_formats_decode(transcriber: Transcriber, tmp_path: Path, suffix: str, codec: str):
    source = transcriber.decode(AUDIO / "transformer.wav")
    target = encode(source, tmp_path / f"answer{suffix}", codec)
    assert len(transcriber.decode(target)) / 16000 == pytest.approx(len(source) / 16000, abs=0.15)


def test_a_browser_recording_is_transcribed(transcriber: Transcriber, tmp_path: Path):
    webm = encode(transcriber.decode(AUDIO / "transformer.wav"), tmp_path / "answer.webm", "libopus")
    t = transcriber.transcribe(webm)
    assert word_error_rate(SPOKEN["transformer.wav"], t.text) <= 0.25, t.text


def test_assembled_model_matches_the_pinned_checksum(transcriber: Transcriber, speech_cache: Path):
    transcriber.load()
    model = speech_cache / "whisper-base" / "model.bin"
    assert model.stat().st_size == MODEL_BIN_SIZE
    assert sha256(model) == MODEL_BIN_SHA256
    for name in speech.SIDE_FILES:
        assert (speech_cache / "whisper-base" / name).is_file()
    assert not list((speech_cache / "whisper-base").glob(".*.tmp"))


def test_an_assembled_model_is_reused(transcriber: Transcriber, speech_cache: Path):
    transcriber.load()
    model = speech_cache / "whisper-base" / "model.bin"
    before = model.stat()
    assemble_offline_model(speech_cache / "whisper-base")
    after = model.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("damage", ["truncated", "same_size_garbage"])
def test_a_corrupt_model_in_the_cache_is_rebuilt(tmp_path: Path, damage: str):
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    model = folder / "model.bin"
    if damage == "truncated":
        model.write_bytes(b"\0" * 1000)  # as if a copy stopped part-way
    else:
        with model.open("wb") as f:
            f.truncate(MODEL_BIN_SIZE)
    (folder / "config.json").write_text("{}")
    stale = folder / ".model.bin.abc.tmp"
    stale.write_bytes(b"left by a crash")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))

    assemble_offline_model(folder)

    assert sha256(model) == MODEL_BIN_SHA256
    assert (folder / "config.json").read_text() != "{}"
    assert not stale.exists()


def test_a_failed_write_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "whisper-base"
    real_replace = os.replace

    def crash_on_model(src, dst):
        if str(dst).endswith("model.bin"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(speech.os, "replace", crash_on_model)
    with pytest.raises(SpeechError, match=r"Could not prepare the speech model .*No space left on device"):
        assemble_offline_model(folder)
    assert not (folder / "model.bin").exists()
    assert not list(folder.glob(".*.tmp"))


def test_a_checksum_mismatch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(speech, "MODEL_BIN_SHA256", "0" * 64)
    with pytest.raises(SpeechError, match="damaged"):
        assemble_offline_model(tmp_path / "whisper-base")
    assert not (tmp_path / "whisper-base" / "model.bin").exists()


def test_load_is_thread_safe_and_happens_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import faster_whisper

    built: list[str] = []

    class SlowModel:
        def __init__(self, path: str, **kwargs) -> None:
            time.sleep(0.05)
            built.append(path)

    monkeypatch.setattr(faster_whisper, "WhisperModel", SlowModel)
    t = Transcriber(str(tmp_path), cache_dir=tmp_path)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(t.load())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == [str(tmp_path)]
    assert len({id(r) for r in results}) == 1


def test_model_setting_errors_are_sentences(tmp_path: Path):
    with pytest.raises(SpeechError, match="Speech model folder ./no-such-folder does not exist"):
        Transcriber("./no-such-folder", cache_dir=tmp_path).load()
    with pytest.raises(SpeechError, match=r"^Speech model '.+' could not be loaded \(.+\); use 'whisper-base-offline'"):
        Transcriber(str(tmp_path), cache_dir=tmp_path).load()  # a folder without model.bin
