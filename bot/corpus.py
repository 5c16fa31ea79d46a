"""Load and validate the question bank (corpus/) and hint rubrics (rubrics/).

The YAML is written by people, so every problem is reported as one sentence that
names the file and the field, never as a pydantic traceback.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import CorpusError

ROLES = ("ner-specialist", "nlp-llm-engineer", "ai-model-designer", "embedding-engineer")


class Level(StrEnum):
    junior = "junior"
    mid = "mid"
    senior = "senior"
    expert = "expert"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Category(StrEnum):
    concept = "concept"
    scenario = "scenario"
    system_design = "system-design"
    tools = "tools"
    behavioral = "behavioral"
    mcq = "mcq"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]


class McqOption(_Strict):
    text: NonEmpty
    correct: bool = False


class Question(_Strict):
    id: NonEmpty
    role: Literal[ROLES]  # type: ignore[valid-type]
    level: Level
    category: Category
    topics: list[NonEmpty] = Field(min_length=1)
    text: NonEmpty
    follow_ups: list[NonEmpty] = []
    source: NonEmpty
    options: list[McqOption] = []

    @model_validator(mode="after")
    def _mcq_has_one_correct_option(self) -> Question:
        if self.category is Category.mcq:
            if len(self.options) < 2:
                raise ValueError("a multiple-choice question needs at least two options")
            if sum(o.correct for o in self.options) != 1:
                raise ValueError("a multiple-choice question needs exactly one option marked correct")
        elif self.options:
            raise ValueError("only multiple-choice (category: mcq) questions have options")
        return self

    @property
    def correct_option(self) -> int | None:
        return next((i for i, o in enumerate(self.options) if o.correct), None)


class RubricPoint(_Strict):
    id: NonEmpty
    text: NonEmpty
    weight: float = Field(gt=0)
    probe: NonEmpty
    min_level: Level | None = None
    cues: list[NonEmpty] = []  # regexes that are direct evidence (e.g. "as a result") for structural points
    examples: list[NonEmpty] = []  # other valid instances and phrasings of the idea, as a candidate might say them

    @field_validator("cues")
    @classmethod
    def _cues_compile(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            try:
                re.compile(cue)
            except re.error as exc:
                raise ValueError(f"cue {cue!r} is not a valid regular expression ({exc})") from None
        return cues

    def expected_at(self, level: Level) -> bool:
        """Whether a candidate at `level` is expected to cover this point."""
        return self.min_level is None or self.min_level.rank <= level.rank


class RedFlag(_Strict):
    """A false claim a candidate might plausibly make, as they would say it, with what is true instead."""

    claim: NonEmpty
    point: str | None = None  # the id of the rubric point the claim contradicts
    fact: str | None = None  # what is right instead (shown as "in fact ..."); the point's text when absent

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        return {"claim": data} if isinstance(data, str) else data


class Rubric(_Strict):
    points: list[RubricPoint] = Field(min_length=3, max_length=7)
    model_answer: NonEmpty
    red_flags: list[RedFlag] = []

    @property
    def points_by_id(self) -> dict[str, RubricPoint]:
        return {p.id: p for p in self.points}

    def expected_points(self, level: Level) -> list[RubricPoint]:
        """The points a candidate at `level` is graded on (senior-only points not for juniors)."""
        return [p for p in self.points if p.expected_at(level)]

    @field_validator("points")
    @classmethod
    def _point_ids_unique(cls, points: list[RubricPoint]) -> list[RubricPoint]:
        ids = [p.id for p in points]
        dup = next((i for i in ids if ids.count(i) > 1), None)
        if dup:
            raise ValueError(f"point id {dup!r} is used twice")
        return points

    @model_validator(mode="after")
    def _red_flags_name_own_points(self) -> Rubric:
        ids = {p.id for p in self.points}
        for flag in self.red_flags:
            if flag.point is not None and flag.point not in ids:
                raise ValueError(f"red flag {flag.claim[:40]!r}... names point {flag.point!r}, which this rubric does not have")
        return self


class QuestionFile(_Strict):
    questions: list[Question]


class RubricFile(_Strict):
    rubrics: dict[str, Rubric]


class CommonFile(_Strict):
    """rubrics/common.yaml: shared points added to every question of a category."""

    by_category: dict[Category, list[RubricPoint]]


class Corpus(BaseModel):
    """Every question with its rubric, ready to index and grade against."""

    model_config = ConfigDict(frozen=True)

    questions: dict[str, Question]
    rubrics: dict[str, Rubric]
    content_hash: str

    def by_role(self, role: str) -> list[Question]:
        return [q for q in self.questions.values() if q.role == role]


# libyaml's parser where PyYAML was built with it (its wheels are): the same data, read about ten times
# faster than the pure-Python one (two seconds of every start on the shipped bank)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise CorpusError(f"{path}: this is not valid YAML{where}; fix the syntax and retry.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot be read ({exc}).") from None


T = TypeVar("T", bound=BaseModel)


def _parse(model: type[T], path: Path) -> T:
    data = _read_yaml(path)
    if data is None:
        raise CorpusError(f"{path}: the file is empty; fill it in (see docs/corpus-format.md) or remove it.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _field_path(data, err["loc"])
        raise CorpusError(f"{path}: {field}: {err['msg']}.") from None


def _field_path(data: object, loc: tuple) -> str:
    """Turn a pydantic location into a readable path, naming question ids where it can."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            item = node[key]
            label = item.get("id") if isinstance(item, dict) else None
            parts.append(f"[{label}]" if label else f"[{key}]")
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def load_corpus(corpus_dir: Path, rubrics_dir: Path) -> Corpus:
    """Read every corpus/*.yaml and rubrics/*.yaml; raise CorpusError on the first problem."""
    question_files = sorted(Path(corpus_dir).glob("*.yaml"))
    if not question_files:
        raise CorpusError(f"{corpus_dir}: no question files (*.yaml) found.")
    questions: dict[str, Question] = {}
    for path in question_files:
        for q in _parse(QuestionFile, path).questions:
            if q.id in questions:
                raise CorpusError(f"{path}: question id {q.id!r} is used twice.")
            questions[q.id] = q

    common: dict[Category, list[RubricPoint]] = {}
    rubrics: dict[str, Rubric] = {}
    for path in sorted(Path(rubrics_dir).glob("*.yaml")):
        if path.stem == "common":
            common = _parse(CommonFile, path).by_category
            continue
        for qid, rubric in _parse(RubricFile, path).rubrics.items():
            if qid not in questions:
                raise CorpusError(f"{path}: rubrics.{qid}: there is no question with this id.")
            if qid in rubrics:
                raise CorpusError(f"{path}: rubrics.{qid}: this question has two rubrics.")
            rubrics[qid] = rubric

    missing = next((qid for qid in questions if qid not in rubrics), None)
    if missing:
        src = next(p for p in question_files if missing in p.read_text(encoding="utf-8"))
        raise CorpusError(f"{src}: question {missing!r} has no rubric in {rubrics_dir}/.")

    for qid, q in questions.items():
        shared = common.get(q.category, [])
        if shared:
            own = rubrics[qid]
            rubrics[qid] = own.model_copy(update={"points": [*own.points, *shared]})

    digest = hashlib.sha256(
        json.dumps(
            {"q": {k: v.model_dump(mode="json") for k, v in sorted(questions.items())},
             "r": {k: v.model_dump(mode="json") for k, v in sorted(rubrics.items())}},
            sort_keys=True,
        ).encode()
    ).hexdigest()
    return Corpus(questions=questions, rubrics=rubrics, content_hash=digest)
