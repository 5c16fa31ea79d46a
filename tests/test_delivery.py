"""Delivery metrics from hand-built word timings: pace, fillers (and when 'like' is one), pauses, advice."""

from __future__ import annotations

import pytest

from bot.delivery import Delivery, advice, count_fillers, measure
from bot.speech import Word


def timed(script: str, word_s: float = 0.5, gap_s: float = 0.0) -> list[Word]:
    """Words spoken one after another; '|2.5' inserts a 2.5 s pause before the next word."""
    words: list[Word] = []
    t = 0.0
    pause = 0.0
    for item in script.split():
        if item.startswith("|"):
            pause = float(item[1:])
            continue
        start = t + (pause or (gap_s if words else 0.0))
        words.append(Word(item, start, start + word_s))
        t = start + word_s
        pause = 0.0
    return words


def test_wpm_from_first_start_to_last_end():
    d = measure(timed(" ".join(["word"] * 20)))  # 20 words of 0.5 s back to back: 10 s
    assert d.speaking_s == pytest.approx(10.0)
    assert d.words == 20
    assert d.wpm == pytest.approx(120.0)


def test_speaking_time_ignores_silence_before_and_after():
    words = [Word("Hello", 3.0, 3.5), Word("there.", 3.5, 4.0), Word("...", 9.0, 9.5)]
    d = measure(words)
    assert d.speaking_s == pytest.approx(1.0)
    assert d.words == 2
    assert d.wpm == pytest.approx(120.0)


def test_pauses_counted_at_the_threshold_and_longest_reported():
    words = timed("we |2.5 train |2.0 the |1.9 model |0.3 today")
    d = measure(words)
    assert d.long_pauses == 2  # 2.5 and exactly 2.0; 1.9 is not long
    assert d.longest_pause_s == pytest.approx(2.5)
    assert measure(words, long_pause_s=1.5).long_pauses == 3


def test_float_timestamps_at_the_threshold_count():
    d = measure([Word("a", 0.0, 1.3), Word("b", 3.3, 3.5)])  # 3.3 - 1.3 is 1.9999999999999998 in floats
    assert d.long_pauses == 1


def test_single_word_fillers_ignore_case_punctuation_and_drawn_out_spelling():
    words = timed("UM, so uh I ummm think, er, hmm it erm works Ah mm yes Uhh.")
    assert count_fillers(words) == {"um": 2, "uh": 2, "er": 1, "hmm": 1, "erm": 1, "ah": 1, "mm": 1}


def test_multi_word_fillers_count_once_not_as_their_parts():
    words = timed("you know the loss is, I mean, kind of flat and sort of noisy, you know.")
    assert count_fillers(words) == {"you know": 2, "i mean": 1, "kind of": 1, "sort of": 1}


@pytest.mark.parametrize(
    "script",
    ["what kind of model is it", "a sort of ensemble", "do you know the answer", "what I mean is this"],
)
def test_phrases_used_as_plain_speech_are_not_fillers(script):
    assert count_fillers(timed(script)) == {}


def test_fillers_per_minute_and_totals():
    words = timed("um this uh is um a you know test " + " ".join(["word"] * 12))  # 21 words, 10.5 s
    d = measure(words)
    assert d.fillers == {"um": 2, "uh": 1, "you know": 1}
    assert d.filler_count == 4
    assert d.fillers_per_min == pytest.approx(4 / (10.5 / 60))


@pytest.mark.parametrize(
    "words",
    [
        timed("it is, like, really hard"),  # "like," with a comma
        timed("it was like um hard"),  # followed by another filler
        timed("it was like you know hard"),  # followed by a multi-word filler
        timed("it was like |0.6 hard"),  # followed by a pause
        timed("It failed. Like it just stopped"),  # starts a sentence
        timed("Like we never tuned it"),  # starts the answer
        timed("I, like, think so"),  # "I," is not "I like"
    ],
)
def test_like_as_a_filler(words):
    assert count_fillers(words).get("like") == 1


@pytest.mark.parametrize(
    "script",
    [
        "I like transformers",
        "we would like to ship it",
        "I'd like to add a test",
        "it looks like overfitting",
        "it behaves like a hash map",
        "it works like the previous model",
        "Like a decision tree it splits on features",
        "models like BERT use attention",
        "I really like it |0.8 because",
    ],
)
def test_like_as_a_word(script):
    assert count_fillers(timed(script)) == {}


def test_like_counted_beside_other_fillers():
    d = measure(timed("so, like, um I like it"))
    assert d.fillers == {"like": 1, "um": 1}


def test_no_words_gives_zeros():
    d = measure([Word(",", 0.0, 0.1)])
    assert d == Delivery(0.0, 0, 0.0, {}, 0.0, 0, 0.0)
    assert "no words" in advice(d)


def test_advice_on_pauses_and_fillers():
    d = Delivery(speaking_s=60.0, words=140, wpm=140.0, fillers={"um": 5, "you know": 2}, fillers_per_min=7.0,
                 long_pauses=4, longest_pause_s=5.1)
    text = advice(d)
    assert "You paused 4 times for more than 2 seconds; the longest pause was 5.1 s." in text
    assert "140 words a minute" in text and "easy to follow" in text
    assert '7 filler words ("um" ×5, "you know" ×2), about 7.0 a minute' in text


@pytest.mark.parametrize(("wpm", "word"), [(95.0, "slow"), (185.0, "fast"), (140.0, "easy to follow")])
def test_advice_on_pace(wpm, word):
    d = Delivery(speaking_s=60.0, words=int(wpm), wpm=wpm, fillers={}, fillers_per_min=0.0,
                 long_pauses=0, longest_pause_s=0.4)
    text = advice(d)
    assert word in text
    assert "paused" not in text and "filler" not in text


def test_advice_is_quiet_about_few_fillers_and_one_pause():
    d = measure(timed("the model um learns |3.2 from labelled data at a steady pace", word_s=0.4, gap_s=0.05))
    text = advice(d)
    assert "You paused once for more than 2 seconds; the longest pause was 3.2 s." in text
    assert "filler" not in text
