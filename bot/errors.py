"""Errors whose message is a sentence for a person: the one place they are defined.

A leaf module (it imports nothing of the project), so code that only needs to raise or catch
an error never loads the machinery behind it: `bot.identity` or `bot.review` do not pull in
the interview, the index or FAISS. Every module that raised one of these before still
re-exports it under its old name (`bot.interview.InterviewError`, `bot.store.StoreError`, ...).

Errors that never reach a person stay beside their code: `GradingError` (the interview turns it
into "your answer is saved, press Submit again"), `CalibrationError`, and the developer tools'
`DatasetError`, `AppServerError` and `LoadTestError`.
"""

from __future__ import annotations


class BotError(Exception):
    """Any error whose message is the sentence to show: the UI shows it as it is, never a traceback."""


class UserError(BotError, ValueError):
    """Something the person in front of the app can fix (what they typed, chose or pressed)."""


# The name every module used for UserError before bot.errors existed; both name the same class.
InterviewError = UserError


class ExportError(UserError):
    """The export asked for cannot be made; the message says what to ask instead."""


class SpeechError(UserError):
    """A problem with a recording or the speech model; the message is the sentence to show the user."""


class CorpusError(BotError, ValueError):
    """A corpus or rubric file is wrong; the message says which file and field (for the site owner)."""


class SettingError(BotError, ValueError):
    """A setting names something the app cannot use (an embedding model folder); the message says
    which setting and what to set it to (for the site owner)."""


class StoreError(BotError, RuntimeError):
    """The database cannot be written or read; the message says what to do."""


class ClaimCheckerError(BotError, RuntimeError):
    """The claim checker's weights cannot be used (missing, damaged, or not what a setting names); the
    message says what to do (for the site owner)."""
