"""How an answer was spoken: pace, filler words and long pauses, from word timestamps alone."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from bot.speech import Word

SLOW_WPM = 110.0
FAST_WPM = 170.0
MANY_FILLERS_PER_MIN = 4.0
MIN_FILLERS_TO_MENTION = 2  # one 'um' in a short answer is a high rate but not a habit
LIKE_PAUSE_S = 0.5
MIN_WORDS_FOR_PACE = 5

# One-word fillers, allowing drawn-out spellings ("ummm", "hmmm"); the key is the name we report.
_SINGLE_FILLERS = {
    "um": re.compile(r"u+m+"),
    "uh": re.compile(r"u+h+"),
    "erm": re.compile(r"e+r+m+"),
    "er": re.compile(r"e+r+"),
    "ah": re.compile(r"a+h+"),
    "hmm": re.compile(r"h+m+"),
    "mm": re.compile(r"m{2,}"),
}
# Multi-word fillers, and the words before them that make them ordinary speech ("what kind of model").
_PHRASE_FILLERS: dict[tuple[str, ...], frozenset[str]] = {
    ("you", "know"): frozenset({"do", "did", "does", "don't", "didn't", "if", "what", "whether"}),
    ("i", "mean"): frozenset({"what", "if", "do", "did"}),
    ("kind", "of"): frozenset({"a", "the", "what", "which", "this", "that", "any", "some", "one", "same", "every"}),
    ("sort", "of"): frozenset({"a", "the", "what", "which", "this", "that", "any", "some", "one", "same", "every"}),
}
# "like" after these is the verb ("I like", "would like") or a comparison ("looks like").
_LIKE_NOT_FILLER_AFTER = frozenset(
    """i we they you he she would i'd we'd you'd they'd he'd she'd don't doesn't didn't do does did to
    really also just look looks looked looking seem seems seemed sound sounds sounded feel feels felt
    something anything nothing more much exactly things stuff act acts acted behave behaves""".split()
)
_COMPARISON_NEXT = frozenset({"a", "an", "the", "this", "that", "these", "those"})
_NON_WORD = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Delivery:
    speaking_s: float
    words: int
    wpm: float
    fillers: dict[str, int]
    fillers_per_min: float
    long_pauses: int
    longest_pause_s: float
    long_pause_s: float = 2.0

    @property
    def filler_count(self) -> int:
        return sum(self.fillers.values())


def normalise(text: str) -> str:
    """Lower case without punctuation: ' Um,' -> 'um', '-attention' -> 'attention'."""
    return _NON_WORD.sub("", text.lower().replace("\u2019", "'")).strip("'")


def _single_filler(token: str) -> str | None:
    return next((name for name, pattern in _SINGLE_FILLERS.items() if pattern.fullmatch(token)), None)


def _phrase_at(tokens: list[str], i: int) -> tuple[str, ...] | None:
    """The multi-word filler starting at tokens[i], unless the word before makes it plain speech."""
    for phrase, not_after in _PHRASE_FILLERS.items():
        if tuple(tokens[i : i + len(phrase)]) == phrase and not (i > 0 and tokens[i - 1] in not_after):
            return phrase
    return None


def _like_is_filler(words: list[Word], tokens: list[str], i: int) -> bool:
    """Tell filler 'like' ('it's, like, hard') from the verb and comparisons ('I like', 'like a tree')."""
    raw = words[i].text.strip()
    prev_raw = words[i - 1].text.strip() if i > 0 else ""
    if raw.endswith(","):
        return True
    if i > 0 and tokens[i - 1] in _LIKE_NOT_FILLER_AFTER and not re.search(r"[,.;:!?]$", prev_raw):
        return False
    if i + 1 == len(words):
        return True
    nxt = tokens[i + 1]
    if _single_filler(nxt) or _phrase_at(tokens, i + 1) or nxt == "like":
        return True
    if words[i + 1].start - words[i].end >= LIKE_PAUSE_S:
        return True
    if nxt in _COMPARISON_NEXT:
        return False
    return i == 0 or bool(re.search(r"[.!?]$", prev_raw))


def count_fillers(words: list[Word]) -> dict[str, int]:
    """Filler counts; a multi-word filler counts once and its words are not counted again."""
    kept = [w for w in words if normalise(w.text)]
    tokens = [normalise(w.text) for w in kept]
    counts: Counter[str] = Counter()
    i = 0
    while i < len(tokens):
        phrase = _phrase_at(tokens, i)
        if phrase:
            counts[" ".join(phrase)] += 1
            i += len(phrase)
            continue
        name = _single_filler(tokens[i])
        if name:
            counts[name] += 1
        elif tokens[i] == "like" and _like_is_filler(kept, tokens, i):
            counts["like"] += 1
        i += 1
    return dict(counts.most_common())


def measure(words: list[Word], long_pause_s: float = 2.0) -> Delivery:
    """Pace, fillers and pauses; speaking time runs from the first word's start to the last word's end."""
    spoken = [w for w in words if normalise(w.text)]
    if not spoken:
        return Delivery(0.0, 0, 0.0, {}, 0.0, 0, 0.0, long_pause_s)
    speaking_s = max(spoken[-1].end - spoken[0].start, 0.0)
    minutes = speaking_s / 60
    gaps = [max(round(b.start - a.end, 3), 0.0) for a, b in pairwise(spoken)]  # ms: 3.3 - 1.3 is 2.0
    fillers = count_fillers(spoken)
    return Delivery(
        speaking_s=speaking_s,
        words=len(spoken),
        wpm=len(spoken) / minutes if minutes else 0.0,
        fillers=fillers,
        fillers_per_min=sum(fillers.values()) / minutes if minutes else 0.0,
        long_pauses=sum(gap >= long_pause_s for gap in gaps),
        longest_pause_s=max(gaps, default=0.0),
        long_pause_s=long_pause_s,
    )


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def summary(d: Delivery) -> str:
    """The measured figures on one line (the CLI and the feedback panel both show it)."""
    fillers = ", ".join(f"“{k}” ×{v}" for k, v in sorted(d.fillers.items(), key=lambda kv: -kv[1])) or "none"
    return (f"{d.speaking_s:.0f} s speaking · {d.wpm:.0f} words/min · fillers: {fillers} "
            f"({d.fillers_per_min:.1f}/min) · pauses over {d.long_pause_s:g} s: {d.long_pauses} "
            f"(longest {d.longest_pause_s:.1f} s)")


def advice(d: Delivery) -> str:
    """A sentence or three on pace, long pauses and fillers, for the feedback panel."""
    if not d.words:
        return "We heard no words, so there is nothing to say about your delivery yet."
    parts: list[str] = []
    if d.words >= MIN_WORDS_FOR_PACE:
        if d.wpm < SLOW_WPM:
            parts.append(f"Your pace was {d.wpm:.0f} words a minute, on the slow side; aim for 120–160.")
        elif d.wpm > FAST_WPM:
            parts.append(f"Your pace was {d.wpm:.0f} words a minute, which is fast; slow down so key points land.")
        else:
            parts.append(f"Your pace of {d.wpm:.0f} words a minute is easy to follow.")
    if d.long_pauses:
        parts.append(
            f"You paused {_times(d.long_pauses)} for more than {d.long_pause_s:g} seconds; "
            f"the longest pause was {d.longest_pause_s:.1f} s."
        )
    if d.fillers_per_min > MANY_FILLERS_PER_MIN and d.filler_count >= MIN_FILLERS_TO_MENTION:
        top = ", ".join(f'"{name}" ×{n}' for name, n in list(d.fillers.items())[:3])
        parts.append(
            f"You used {d.filler_count} filler words ({top}), about {d.fillers_per_min:.1f} a minute; "
            "a short silent pause sounds more confident."
        )
    return " ".join(parts) or "Your delivery was steady."
