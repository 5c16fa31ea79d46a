"""Answers a grader does not expect: none crashes, each gets a sentence, what can be kept is kept."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.interview import InterviewError
from bot.language import foreign_language
from bot.services import build_interview
from bot.settings import Settings
from bot.ui import handlers
from bot.ui.handlers import CHAT_ECHO_CHARS, View
from tests.helpers import open_question

SPANISH = ("El negative sampling actualiza solo unas pocas palabras en cada paso, en lugar de todo el "
           "vocabulario, y por eso el entrenamiento es mucho más rápido.")
HEBREW = "הטמעות ממפות מילים לווקטורים צפופים כך שמילים דומות קרובות זו לזו במרחב"


@pytest.fixture(scope="module")
def interview(embedder, shared_cache, tmp_path_factory):
    settings = replace(Settings.from_env({}), data_dir=tmp_path_factory.mktemp("bad"), cache_dir=shared_cache)
    return build_interview(settings, embedder=embedder)


def unescaped(markdown: str) -> str:
    """The text a Markdown view shows: notices and echoed answers go through escape_markdown."""
    return re.sub(r"\\(.)", r"\1", markdown)


def open_view(interview) -> View:
    """A started session whose current question is an open one."""
    return handlers.start(interview, View(None, None, []), "Gus", "embedding-engineer", "mid",
                          question_id=open_question(interview.corpus))


def model_answer(interview, view: View) -> str:
    return interview.corpus.rubrics[interview.store.turn(view.turn_id)["question_id"]].model_answer


@pytest.mark.parametrize(("answer", "sentence"), [
    ("", "Your answer is empty"),
    ("   \n\t  \n ", "Your answer is empty"),
    ("\x00\x01\x02\x1b\x7f", "Your answer is empty"),
    ("🙂🚀👍 … ?!", "no words in it"),
])
def test_an_answer_with_nothing_to_grade_is_refused_with_a_sentence(interview, answer: str, sentence: str) -> None:
    view = open_view(interview)
    with pytest.raises(InterviewError, match=sentence):
        interview.submit(view.session_id, view.turn_id, answer)
    after = handlers.submit(interview, view, answer)
    assert after.status.startswith("⚠️") and sentence in after.status
    assert after.answer is None and after.turn_id == view.turn_id  # the box and the question stay
    assert interview.store.turn(view.turn_id)["answer"] is None
    assert interview.store.grade_for(view.turn_id) is None
    assert handlers.submit(interview, view, model_answer(interview, view)).status == ""  # and they can go on


def test_a_19000_character_answer_is_saved_whole_and_graded_on_a_prefix(interview) -> None:
    view = open_view(interview)  # under the 20,000-character cap on stored answers (tests/test_security.py)
    base = model_answer(interview, view)
    answer = (base + "\n") * (19_000 // (len(base) + 1) + 1)
    answer = answer[:19_000].strip()
    after = handlers.submit(interview, view, answer)
    assert after.status == "", after.status
    assert f"Your answer is {len(answer):,} characters long; the first 8,000 were graded" in after.score
    assert len(interview.store.turn(view.turn_id)["answer"]) == len(answer)  # saved whole
    echoed = after.chat[-2]["content"]
    assert len(unescaped(echoed)) < CHAT_ECHO_CHARS + 100 and "more characters, all saved" in echoed
    assert interview.store.grade_for(view.turn_id).score >= 5  # the prefix holds the model answer


def test_control_characters_are_removed_and_the_rest_is_graded(interview) -> None:
    view = open_view(interview)
    base = model_answer(interview, view)
    dirty = base.replace(" ", " \x00", 3).replace(".", ".\x07", 1) + "\x1b[31m"
    feedback = interview.submit(view.session_id, view.turn_id, dirty)
    stored = interview.store.turn(view.turn_id)["answer"]
    assert "\x00" not in stored and "\x07" not in stored and "\x1b" not in stored
    assert any("control characters" in n for n in feedback.grade.notices)
    assert feedback.grade.score >= 5


def test_emoji_and_right_to_left_text_are_kept_and_graded(interview) -> None:
    view = open_view(interview)
    answer = f"🙂 {model_answer(interview, view)} 🚀 {HEBREW[:30]}"
    after = handlers.submit(interview, view, answer)
    assert after.status == "" and after.score.startswith("### ")
    stored = interview.store.turn(view.turn_id)["answer"]
    assert "🙂" in stored and "🚀" in stored and HEBREW[:30] in stored
    assert "seems to be in" not in after.score  # mostly English: no language notice


@pytest.mark.parametrize(("answer", "language"), [(SPANISH, "Spanish"), (HEBREW, "Hebrew")])
def test_a_non_english_answer_is_graded_with_a_note(interview, answer: str, language: str) -> None:
    view = open_view(interview)
    after = handlers.submit(interview, view, answer)
    assert after.status == "", after.status
    assert f"Your answer seems to be in {language}. The rubric is in English" in unescaped(after.score)
    grade = interview.store.grade_for(view.turn_id)
    assert grade is not None and any(language in n for n in grade.notices)
    assert interview.store.turn(view.turn_id)["answer"] == answer


def test_english_answers_and_keyword_lists_get_no_language_note(corpus) -> None:
    from bot.text import content_stems, point_claim, tokens

    for rubric in list(corpus.rubrics.values())[:60]:
        assert foreign_language(rubric.model_answer) is None
        keywords = {w for p in rubric.points for w in tokens(point_claim(p.text)) if content_stems(w)}
        assert foreign_language(", ".join(sorted(keywords))) is None
    assert foreign_language("BERT, CRF, BiLSTM, spaCy, Flair") is None
