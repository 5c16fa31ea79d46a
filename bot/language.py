"""Is an answer in English? The rubrics are, so an answer in another language is graded with a
notice that says so, never refused.

Cheap first: English prose is full of English function words, so an answer in which at least a
fifth of the words are English stopwords is English, with no model at all (nearly every real
answer stops here). The rest -- other languages, keyword lists, very short answers -- go to
py3langid (the langid.py model: 97 languages, offline, shipped in the wheel, well under 1 ms
a call once loaded), and only a confident verdict for another language gives the notice, so a
list of English technical terms ("BERT, CRF, BiLSTM") is left alone.
"""

from __future__ import annotations

import functools
import re
import threading

from bot.text import stopword_share

ENGLISH_STOPWORD_SHARE = 0.2
MIN_LETTERS = 20  # below this there is too little text to tell
MIN_CONFIDENCE = 0.5
NAMES = {
    "ar": "Arabic", "bn": "Bengali", "de": "German", "el": "Greek", "es": "Spanish", "fa": "Persian",
    "fr": "French", "he": "Hebrew", "hi": "Hindi", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
    "zh": "Chinese",
}
_WORD = re.compile(r"\w+(?:'\w+)?")
_lock = threading.Lock()


@functools.cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def english_share(text: str) -> float:
    """Share of the words that are English function words."""
    return stopword_share(_WORD.findall(text.lower()))


def foreign_language(text: str) -> str | None:
    """The name of the language `text` is written in, when that is confidently not English."""
    if english_share(text) >= ENGLISH_STOPWORD_SHARE or sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    with _lock:  # the first call loads the model (about a second); load it once
        identifier = _identifier()
    code, confidence = identifier.classify(text)
    if code == "en" or confidence < MIN_CONFIDENCE:
        return None
    return NAMES.get(code, code)
