"""Speech speed: real-time factor and cold model load, measured on recordings you pass in.

Run: python -m bot bench --audio [--json]. It times the three spoken test recordings of the checkout
(tests/fixtures/audio, about 6 s each) and one ~50 s answer made by joining them three times. Whisper encodes a 30 s window whatever the
length, so short clips show the worst real-time factor.
The figures depend on what else is using the CPU; run it on an idle machine for numbers to quote.
"""

from __future__ import annotations

import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from bot.speech import SAMPLE_RATE, Transcriber
from devtools import ROOT

SPOKEN_RECORDINGS = tuple(ROOT / "tests" / "fixtures" / "audio" / name
                          for name in ("negative_sampling.wav", "transformer.wav", "fillers.wav"))


class SpeechBenchError(RuntimeError):
    """The recordings to time are missing; the message names them."""


def bench_audio(transcriber: Transcriber, files: list[Path]) -> dict:
    """Cold load seconds (or the earlier load's, if already loaded) and rtf = transcribe time / audio time."""
    if not transcriber.loaded:
        transcriber.load()
    audio_s = sum(len(transcriber.decode(f)) / SAMPLE_RATE for f in files)
    started = time.perf_counter()
    for f in files:
        transcriber.transcribe(f)
    transcribe_s = time.perf_counter() - started
    return {
        "rtf": transcribe_s / audio_s if audio_s else 0.0,
        "model_load_s": transcriber.load_seconds,
        "audio_s": audio_s,
        "transcribe_s": transcribe_s,
        "files": len(files),
    }


def write_joined(transcriber: Transcriber, files: list[Path], target: Path, times: int = 3) -> Path:
    """One 16 kHz WAV holding the files one after another, `times` over: a longer answer to time."""
    audio = np.concatenate([transcriber.decode(f) for f in files] * times)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return target


def run_audio_bench(model: str, files: tuple[Path, ...] = SPOKEN_RECORDINGS, beam_size: int = 1,
                    cpu_threads: int = 2) -> dict:
    """rtf on a ~50 s answer (the recordings joined three times) and on the short clips, and the
    cold load of the model from an assembled cache (what an app start pays)."""
    missing = [str(f) for f in files if not Path(f).is_file()]
    if missing:
        raise SpeechBenchError(f"The recordings to time are missing ({', '.join(missing)}); run this from a "
                               "checkout of the repository.")
    paths = [Path(f) for f in files]
    with tempfile.TemporaryDirectory() as tmp:
        options = {"cache_dir": Path(tmp), "beam_size": beam_size, "cpu_threads": cpu_threads}
        first = Transcriber(model, **options)
        first.load()  # on an empty cache this also assembles model.bin
        transcriber = Transcriber(model, **options)
        short = bench_audio(transcriber, paths)
        joined = write_joined(transcriber, paths, Path(tmp) / "joined.wav")
        long = bench_audio(transcriber, [joined])
    return {"rtf": round(long["rtf"], 3), "model_load_s": round(short["model_load_s"], 2),
            "audio_s": round(long["audio_s"], 1), "transcribe_s": round(long["transcribe_s"], 2),
            "rtf_short_clips": round(short["rtf"], 3), "first_use_assemble_and_load_s": round(first.load_seconds, 2),
            "beam_size": beam_size, "cpu_threads": cpu_threads}
