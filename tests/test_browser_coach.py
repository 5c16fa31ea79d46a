"""The coach desk and the Progress tab in a real browser (Chromium through Playwright, as in
tests/test_browser.py), on app.py with a coach password and a database seeded with known sessions.

They write the README's pictures (into docs/img under `make pictures`): coach-desk.png, coach-desk-phone.png
(390 px wide, checked for text that overflows its box) and progress.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.corpus import Corpus
from bot.grading import Grade, PointGrade, Verdict
from bot.review import Review
from bot.store import SessionStore
from bot.ui.coach_handlers import TABLE_HEADERS
from devtools.appserver import AppServer
from tests.test_browser import PICTURES, UI, browser, start_session  # noqa: F401  (browser: the shared fixture)

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) and says why
    expect = None  # type: ignore[assignment]

PASSWORD = "correct horse battery staple"
WAIT_MS = 60_000
PATTERN = [Verdict.covered, Verdict.partial, Verdict.missing, Verdict.covered, Verdict.incorrect, Verdict.missing]


def graded(corpus: Corpus, question_id: str, shift: int, score: float, points: list | None = None) -> Grade:
    rubric = corpus.rubrics[question_id]
    chosen = points or rubric.points
    return Grade(score=score, grader="rubric", points=[
        PointGrade(point_id=p.id, text=p.text, weight=p.weight, verdict=PATTERN[(i + shift) % len(PATTERN)])
        for i, p in enumerate(chosen)])


def add_session(store: SessionStore, corpus: Corpus, owner: str, name: str, role: str, level: str, started: str,
                answers: list[tuple[str, float]], ended: bool = False) -> tuple[str, list[int]]:
    """A session with one graded answer per (question id, score): the first half of the model answer."""
    from sqlite_utils import Database

    session_id = store.create_session(name, role, level, "rubric", {}, owner)
    turn_ids = []
    for i, (qid, score) in enumerate(answers):
        turn_id = store.add_turn(session_id, qid, corpus.questions[qid].text)
        model = corpus.rubrics[qid].model_answer
        store.save_answer(turn_id, model[: max(60, len(model) // 2)])
        store.save_grade(turn_id, graded(corpus, qid, i, score), [], 1.0)
        turn_ids.append(turn_id)
    if ended:
        store.end_session(session_id)
    db = Database(store.path)
    db.table("sessions").update(session_id, {"started_at": started})
    db.conn.close()
    return session_id, turn_ids


def emb_questions(corpus: Corpus, count: int) -> list[str]:
    """Open (not multiple-choice) embedding-engineer questions, in id order."""
    return sorted(q.id for q in corpus.by_role("embedding-engineer") if not q.options)[:count]


def seed_desk(store: SessionStore, corpus: Corpus) -> dict:
    """Three candidates' sessions, newest last: Chen's (ended) has a follow-up on its first answer."""
    q = emb_questions(corpus, 6)
    add_session(store, corpus, "local:ana", "Ana", "embedding-engineer", "mid", "2026-03-01T09:00:00.000+00:00",
                [(q[0], 4.5), (q[1], 7.0)], ended=True)
    add_session(store, corpus, "local:bo", "Bo", "embedding-engineer", "junior", "2026-03-02T14:30:00.000+00:00",
                [(q[2], 6.0)])
    newest, turns = add_session(store, corpus, "local:chen", "Chen", "embedding-engineer", "senior",
                                "2026-03-03T16:45:00.000+00:00", [(q[3], 3.5), (q[4], 8.0), (q[5], 6.5)], ended=True)
    probed = corpus.rubrics[q[3]].points[1]
    follow = store.add_turn(newest, q[3], probed.probe, "follow_up", turns[0], [probed.id])
    store.save_answer(follow, "A short follow-up answer.")
    store.save_grade(follow, graded(corpus, q[3], 0, 5.0, [probed]), [], 1.0)
    return {"newest": newest, "questions": q}


@pytest.fixture(scope="module")
def desk_app(tmp_path_factory, shared_cache: Path, corpus):
    """The app with a coach password, and three candidates' sessions already in its database."""
    data = tmp_path_factory.mktemp("coach-desk")
    seeded = seed_desk(SessionStore(data / "sessions.db"), corpus)
    with AppServer(data, cache_dir=shared_cache, start_timeout_s=180, env={"BOT_COACH_PASSWORD": PASSWORD}) as url:
        yield url, data, seeded


def open_desk(browser, url: str, width: int, height: int):  # noqa: F811  (browser: the fixture's value)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.get_by_role("tab", name="Coach").click()
    page.get_by_label("Coach password", exact=True).fill(PASSWORD)
    page.get_by_label("Your name (shown on your notes)", exact=True).fill("Zoe")
    page.get_by_role("button", name="Sign in as coach", exact=True).click()
    expect(page.locator("#coach-signed")).to_contain_text("Signed in as coach Zoe")
    return context, page


def session_rows(page):
    """The rows of the session list on screen (the table also keeps hidden copies for measuring)."""
    return page.locator("#coach-sessions [role=row]:visible").filter(has_not=page.locator("[role=columnheader]"))


def open_newest_session(page) -> None:
    """Click the first row of the session list (the newest: Chen's)."""
    session_rows(page).filter(has_text="Chen").first.get_by_text("Chen", exact=True).click()
    expect(page.locator("#coach-transcript")).to_contain_text("Practice session")
    expect(page.locator("#coach-transcript")).to_contain_text("Chen")


def pick_answer(page, number: str) -> None:
    """Choose answer `number` ("1", "1a", ...) in the "Answer to review" dropdown."""
    page.get_by_label("Answer to review", exact=True).click()
    page.get_by_role("option").filter(has_text=re.compile(rf"(^|\s){re.escape(number)}\. ")).first.click()


def test_the_coach_desk_lists_opens_and_resets_its_form(browser, desk_app, corpus) -> None:  # noqa: F811
    url, _, seeded = desk_app
    context, page = open_desk(browser, url, 1400, 1000)
    try:
        # Listed at sign-in, newest first, with status and mode; the password form is gone.
        expect(page.get_by_label("Coach password", exact=True)).to_be_hidden()
        rows = session_rows(page)
        expect(rows).to_have_count(3)
        expect(rows.nth(0).locator(f'[role=gridcell][aria-colindex="{TABLE_HEADERS.index("reviews") + 1}"]')).to_have_text("0")
        assert "Chen" in rows.nth(0).inner_text() and "Bo" in rows.nth(1).inner_text() and "Ana" in rows.nth(2).inner_text()
        assert re.search(r"\bfinished\b.*\bpractice\b", rows.nth(0).inner_text(), re.S)
        assert "unfinished" in rows.nth(1).inner_text()
        desk = page.locator("#coach-desk")
        assert "Download" not in desk.inner_text()  # nothing exported yet: no empty download box

        open_newest_session(page)
        pick_answer(page, "1")
        form = page.locator("#coach-review-form")
        expect(form).to_be_visible()
        expect(page.locator("#coach-answer-detail")).to_contain_text("Typed answer")
        assert "Recording" not in desk.inner_text()  # a typed answer: no recording box
        first_points = form.locator(".coach-verdict:visible")
        expect(first_points).to_have_count(len(corpus.rubrics[seeded["questions"][3]].points))
        page.locator("#coach-note").locator("textarea").fill("A note for answer 1 only.")
        page.locator("#coach-score").locator("textarea, input").fill("7")

        pick_answer(page, "2")  # another answer: the form is rebuilt for it
        expect(page.locator("#coach-answer-detail")).to_contain_text("Answer 2")
        expect(page.locator("#coach-note").locator("textarea")).to_have_value("")
        expect(page.locator("#coach-score").locator("textarea, input")).to_have_value("")
        expect(form.locator(".coach-verdict:visible")).to_have_count(
            len(corpus.rubrics[seeded["questions"][4]].points))
        page.locator("#coach-note").locator("textarea").fill("Name the metric you would watch.")
        page.locator("#coach-score").locator("textarea, input").fill("6.5")
        page.get_by_role("button", name="Save review", exact=True).click()
        expect(page.locator("#coach-status")).to_contain_text("Saved")
        expect(page.locator("#coach-answer-detail")).to_contain_text("Name the metric you would watch")
        expect(page.locator("#coach-note").locator("textarea")).to_have_value("")
        reviews = session_rows(page).first.locator(f'[role=gridcell][aria-colindex="{TABLE_HEADERS.index("reviews") + 1}"]')
        expect(reviews).to_have_text("1")  # the list counts the review just saved
        pick_answer(page, "1a")  # the follow-up is numbered after its question
        expect(page.locator("#coach-answer-detail")).to_contain_text("Answer 1a")
        pick_answer(page, "2")
        page.get_by_role("button", name="Export session", exact=True).click()
        expect(page.locator("#coach-status")).to_contain_text("Exported one session")
        expect(desk.get_by_text("Download", exact=True).first).to_be_visible()  # now there is something
        PICTURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(PICTURES / "coach-desk.png"), full_page=True)

        session_rows(page).filter(has_text="Ana").first.get_by_text("Ana", exact=True).click()
        expect(page.locator("#coach-transcript")).to_contain_text("Ana")
        expect(form).to_be_hidden()  # no answer of this session picked yet
        assert "Download" not in desk.inner_text()  # Chen's export is not offered beside Ana's session

        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_label("Coach password", exact=True)).to_be_visible()
        expect(page.locator("#coach-desk")).to_be_hidden()
    finally:
        context.close()


# Every rendered element with its own text: none may be wider inside than its box (scrollWidth), and
# none narrower than its longest word (a header broken letter by letter), on the phone-sized page.
# Boxes one pixel wide are screen-reader text (Gradio's "Loading", "complete"), never seen.
OVERFLOW_JS = """
() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.getClientRects().length || el.getBoundingClientRect().width <= 1) continue;  // unseen, or for screen readers
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'inline') continue;
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(' ').trim();
    if (!text) continue;
    ctx.font = style.font;
    const longest = Math.max(...text.split(/\\s+/).map(w => ctx.measureText(w).width));
    const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + text.slice(0, 40) + '"';
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'auto' && style.overflowX !== 'scroll')
      bad.push(what + ` scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
    else if (el.clientWidth > 0 && el.clientWidth + 1 < longest && style.whiteSpace !== 'nowrap')
      bad.push(what + ` is ${el.clientWidth}px wide, its longest word ${Math.round(longest)}px`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    bad.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
  return bad;
}
"""


def test_the_coach_desk_fits_a_phone(browser, desk_app) -> None:  # noqa: F811
    url, _, _ = desk_app
    context, page = open_desk(browser, url, 390, 844)
    try:
        open_newest_session(page)
        pick_answer(page, "1")
        expect(page.locator("#coach-review-form")).to_be_visible()
        overflowing = page.evaluate(OVERFLOW_JS)
        assert overflowing == [], "\n".join(overflowing)
        PICTURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(PICTURES / "coach-desk-phone.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_every_tab_is_in_sight_on_a_phone(browser, desk_app, width) -> None:  # noqa: F811
    """On a narrow screen the tabs wrap onto a second row rather than hiding behind a "More tabs" menu
    (CI once failed to find the Coach tab there: whether it fitted depended on the font's width)."""
    url, _, _ = desk_app
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(url)
        for name in ("Practice", "Interview", "Progress", "Coach"):
            expect(page.get_by_role("tab", name=name, exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="More tabs")).to_be_hidden()
    finally:
        context.close()


def test_progress_guides_and_shows_the_coach_note(browser, desk_app, corpus) -> None:  # noqa: F811
    """A candidate starts in the browser (so the page knows who they are); their earlier sessions and a
    coach's review go into the database under the same owner, then the Progress tab shows them."""
    import sqlite3

    url, data, seeded = desk_app
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(url)
        start_session(page, "Embedding-model engineer", "mid")
        with sqlite3.connect(data / "sessions.db") as db:
            (owner,) = db.execute("select owner from sessions order by rowid desc limit 1").fetchone()
        store = SessionStore(data / "sessions.db")
        q = sorted(q.id for q in corpus.by_role("embedding-engineer") if not q.options)
        by_topic: dict[str, list[str]] = {}
        for qid in q:
            by_topic.setdefault(corpus.questions[qid].topics[0], []).append(qid)
        pair = next(ids for ids in by_topic.values() if len(ids) >= 2)  # two answers on one topic
        strong = next(ids for ids in by_topic.values() if len(ids) >= 2 and ids != pair)
        add_session(store, corpus, owner, "Browser Ana", "embedding-engineer", "mid", "2026-02-20T10:00:00.000+00:00",
                    [(pair[0], 3.0), (strong[0], 8.5), (q[0], 6.0)], ended=True)
        reviewed, turns = add_session(store, corpus, owner, "Browser Ana", "embedding-engineer", "mid",
                                      "2026-02-27T10:00:00.000+00:00", [(pair[1], 4.0), (strong[1], 9.0)], ended=True)
        Review(store).override("Zoe", reviewed, turns[0], "Good structure; say which metric you would track.", 5.5,
                               None)

        page.get_by_role("tab", name="Progress").click()
        reviews = page.locator("#coach-reviews")
        expect(reviews).to_contain_text("A coach reviewed 1 answer of yours")
        expect(reviews).to_contain_text("say which metric you would track")  # the note itself, not only a link
        guidance = page.locator("#progress-guidance")
        expect(guidance).to_contain_text("To work on")
        expect(guidance).to_contain_text("Too early to call")
        expect(page.locator("#progress-by-session")).to_be_visible()
        expect(page.locator("#progress-by-answer")).to_be_visible()
        page.wait_for_timeout(1500)  # the charts draw after their data arrives
        PICTURES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(PICTURES / "progress.png"), full_page=True)
    finally:
        context.close()
