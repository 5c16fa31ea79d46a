"""Plain-text helpers shared by the index and the graders: cleaning, sentences, content words."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Rubric points read "explains that X"; the grader compares the answer with X.
_META = re.compile(
    r"^\s*(?:(?:clearly|briefly|correctly|explicitly)\s+)?"
    r"(?:explains?|mentions?|says?|states?|notes?|names?|describes?|defines?|discusses?|identifies|"
    r"proposes?|suggests?|outlines?|gives?|lists?|covers?|highlights?|contrasts?|compares?|"
    r"recognis(?:es|e)|recogniz(?:es|e)|points? out|argues?|shows?|concludes?|recommends?|"
    r"acknowledges?|emphasi[sz]es?|distinguishes?|links?|connects?|relates?|uses?)"
    r"(?:\s+(?:that|how|why|what|when|where|which|whether))?\s+",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Also removed from anything a person types: lone surrogates (SQLite cannot store them as UTF-8) and the
# bidi embedding, override and isolate controls (a name could read backwards, as something else).
INVISIBLE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# Markdown's active ASCII punctuation, escaped with a backslash (CommonMark allows it before any of them);
# < > & become entities first, so ; and & are left alone.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:=^@])")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours one ones thing things way ways really basically actually like well use used using
    get gets make makes lot lots e g eg i e ie etc example examples such""".split()
)


def has_invisible(text: str | None) -> bool:
    """True when `text` holds characters clean_answer / clean_line remove (so the user can be told)."""
    return bool(INVISIBLE_CHARS.search(text or ""))


def _visible(text: str | None) -> str:
    """Control characters become spaces (they often separate words); surrogates and bidi controls go."""
    return unicodedata.normalize("NFC", INVISIBLE_CHARS.sub(lambda m: " " if m[0] < "\x80" else "", text or ""))


def clean_answer(text: str) -> str:
    """Drop control characters, NUL bytes, lone surrogates and bidi controls, normalise Unicode and
    whitespace; keep line breaks."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(" ".join(line.split()) for line in _visible(text).split("\n")).strip()


def clean_line(text: str | None) -> str:
    """One line a person typed (a name, a filter): invisible characters gone, spaces collapsed."""
    return " ".join(_visible(text).split())


def escape_markdown(text: str | None) -> str:
    """User text (names, answers, notes, an LLM's words) as literal text inside Markdown or HTML.

    The one helper every view uses: HTML becomes entities (no tags, no images, no forms, no styles)
    and Markdown's punctuation is backslash-escaped (no headings, links, images, tables or emphasis),
    so the text shows exactly as typed. Line breaks are kept."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", html.escape(text or "", quote=False))


def point_claim(point_text: str) -> str:
    """The idea a rubric point asks for, without its 'explains that' preamble."""
    claim = _META.sub("", point_text, count=1).strip()
    return claim or point_text


def sentences(text: str, max_words: int = 40) -> list[str]:
    """Split into sentences; long run-on sentences are cut into overlapping windows."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = part.strip(" -*•\t")
        if not _WORD.search(part.lower()):
            continue
        words = part.split()
        if len(words) <= max_words:
            out.append(part)
            continue
        step = max_words // 2
        for start in range(0, len(words) - step, step):
            out.append(" ".join(words[start : start + max_words]))
    return out


# where a sentence divides into clauses (devtools' `Rule.clause_at`, the checker's clause pairs): semicolons, colons,
# dashes and commas
_CLAUSE_BREAK = re.compile(r"\s*[;:]\s+|\s+(?:—|–|--)\s+|,\s+")


def clauses(text: str) -> list[str]:
    """A span's clauses of four words or more, verbatim; none where it does not divide into two or more."""
    parts = [x.strip(" ,;:") for x in _CLAUSE_BREAK.split(text)]
    parts = [x for x in parts if len(x.split()) >= 4]
    return parts if len(parts) >= 2 else []


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


_FIRST_PERSON = frozenset("i i'm i've i'd i'll me my mine myself we we're we've we'd we'll us our ours ourselves".split())


def first_person(text: str) -> bool:
    """Does the text speak in the first person (I, me, my, we, us, our...)? A story about one's own work does."""
    return any(w in _FIRST_PERSON for w in tokens(re.sub(r"\bUS\b", "", text.replace("\u2019", "'"))))  # not the country


def stopword_share(words: list[str]) -> float:
    """The share of `words` (lower case) that are stopwords: English prose has plenty, a bare list
    of keywords or a text in another language almost none (the graders' fluency, bot/language.py)."""
    return sum(w in STOPWORDS for w in words) / len(words) if words else 0.0


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'embeddings'/'embedding', 'labels'/'labelled'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2]:
        word = word[:-1]
    return word


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stopwords, no single letters)."""
    return {stem(w) for w in tokens(text) if w not in STOPWORDS and len(w) > 1}
