"""The feedback panel: verdicts counted honestly, false claims with the fact, other ways to make a point."""

from __future__ import annotations

from bot.assessor import Feedback, other_ways
from bot.corpus import RubricPoint
from bot.grading import FalseClaim, Grade, PointGrade, Verdict
from bot.ui.handlers import View, feedback_view


def test_feedback_counts_partial_and_incorrect_and_says_what_was_wrong(corpus) -> None:
    qid = next(qid for qid, r in corpus.rubrics.items() if len(r.points) >= 3 and not corpus.questions[qid].options)
    question, rubric = corpus.questions[qid], corpus.rubrics[qid]
    p1, p2, p3 = rubric.points[:3]
    grade = Grade(score=2.1, grader="rubric", points=[
        PointGrade(point_id=p1.id, text=p1.text, weight=1, verdict=Verdict.covered, evidence="my words"),
        PointGrade(point_id=p2.id, text=p2.text, weight=1, verdict=Verdict.partial, evidence="some words"),
        PointGrade(point_id=p3.id, text=p3.text, weight=1, verdict=Verdict.incorrect, evidence="a false thing"),
    ], false_claims=[FalseClaim(quote="a false thing", fact="the true thing", point_id=p3.id)])
    ways = {p2.id: ["another way to say it", "a second way"]}
    view = feedback_view(View("s", 1, []), Feedback(1, question, grade, [], rubric.model_answer, None, ways))

    assert "1 of 3 points covered, 1 partial, 1 incorrect" in view.score
    assert "⊘ incorrect" in view.points and "◐ partial" in view.points and "✓ covered" in view.points
    assert "You said “a false thing” — in fact, the true thing" in view.points
    assert "Other ways to make this point:* “another way to say it” · “a second way”" in view.points
    assert "1 incorrect" in view.chat[-1]["content"]


def test_other_ways_come_from_the_examples_of_points_not_covered(corpus) -> None:
    qid, rubric = next((qid, r) for qid, r in corpus.rubrics.items() if sum(bool(p.examples) for p in r.points) >= 2)
    with_examples = [p for p in rubric.points if p.examples]
    hit, miss = with_examples[:2]
    grade = Grade(score=5, grader="rubric", points=[
        PointGrade(point_id=hit.id, text=hit.text, weight=1, verdict=Verdict.covered),
        PointGrade(point_id=miss.id, text=miss.text, weight=1, verdict=Verdict.missing)])
    assert other_ways(rubric, grade) == {miss.id: miss.examples[:2]}
    assert isinstance(hit, RubricPoint)


def test_the_claim_graders_score_says_how_it_is_made_from_the_points(corpus) -> None:
    # "10.0 / 10" beside "4 of 5 points covered" is the rule (85% of the marks is a 10), and says so
    qid = next(qid for qid, r in corpus.rubrics.items() if len(r.points) >= 5 and not corpus.questions[qid].options)
    question, rubric = corpus.questions[qid], corpus.rubrics[qid]
    points = [PointGrade(point_id=p.id, text=p.text, weight=1, verdict=Verdict.covered if k else Verdict.partial)
              for k, p in enumerate(rubric.points[:5])]
    shown = {}
    for grader, model in (("rubric", "claim-checker:3bdda58f5fe2"), ("rubric", "rubric-calibrated"), ("llm", "gpt")):
        grade = Grade(score=10.0, grader=grader, model=model, points=points)
        shown[model] = feedback_view(View("s", 1, []), Feedback(1, question, grade, [], rubric.model_answer, None, {}))
    claim = shown["claim-checker:3bdda58f5fe2"].score
    assert "4 of 5 points covered, 1 partial" in claim
    assert "an incorrect one loses 25% of its weight; 20% of the score is how closely" in claim
    assert "85% of the marks is already 10" in claim
    assert "How the score is made" not in shown["rubric-calibrated"].score + shown["gpt"].score
    assert "less the share" not in claim  # nothing incorrect: the rubric grader's fifth is whole
    wrong = [points[0].model_copy(update={"verdict": Verdict.incorrect}), *points[1:]]
    grade = Grade(score=6.0, grader="rubric", model="claim-checker:3bdda58f5fe2", points=wrong)
    said = feedback_view(View("s", 1, []), Feedback(1, question, grade, [], rubric.model_answer, None, {})).score
    assert "follows the points, less the share of the points it gets wrong;" in said
