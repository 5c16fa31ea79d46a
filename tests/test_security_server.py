"""Issue 12's findings against a real app on 127.0.0.1 (and Chromium where the page matters); the
plain-function tests and the fixtures they share are in tests/test_security.py."""

from __future__ import annotations

import json
import os
import re
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.replies import reply
from devtools.appserver import AppServer
from tests.test_security import AUDIO, BEACON, HOSTILE_NAME, HOSTILE_TEXT, PASSWORD, headerless_webm

# a real app on 127.0.0.1 -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory, shared_cache: Path):
    data = tmp_path_factory.mktemp("security")
    server = AppServer(data, cache_dir=shared_cache, start_timeout_s=180, env={"BOT_COACH_PASSWORD": PASSWORD})
    url = server.start()
    yield server, url, data
    server.stop()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def status_of(client, api_name: str, *args) -> str:
    """The status line of an endpoint's reply."""
    return reply(api_name, client.predict(*args, api_name=api_name))["status"]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.server
def test_uploads_that_are_not_audio_are_refused_and_nothing_is_served(app, tmp_path) -> None:
    from gradio_client import Client, handle_file

    server, url, data = app
    client = Client(url, verbose=False)
    assert status_of(client, "/start", "Hal", "embedding-engineer", "junior") == ""
    spoken = status_of(client, "/transcribe", handle_file(str(AUDIO / "transformer.wav")))
    assert "Transcribed" in spoken, spoken  # a real recording still works (and warms the model)
    kept = [p for p in (data / "audio").rglob("*") if p.is_file()]
    assert len(kept) == 1 and re.fullmatch(r"turn-\d+\.wav", kept[0].name)
    status, _, _ = fetch(f"{url}gradio_api/file={kept[0]}")
    assert status == 403  # the audio folder is not served as files any more

    page = "<html><body><script>alert(document.domain)</script></body></html>"
    for name in ("evil.html", "evil.svg", "evil.wav", "evil.webm"):
        bad = tmp_path / name
        bad.write_text(page if not name.endswith(".svg") else f"<svg xmlns='http://www.w3.org/2000/svg'>{page}</svg>")
        out = status_of(client, "/transcribe", handle_file(str(bad)))
        assert out.startswith("⚠️") and ("Recordings are accepted as" in out or "could not be read" in out), out
    assert [p for p in (data / "audio").rglob("*") if p.is_file()] == kept  # nothing kept from them
    uploads = data / "gradio-tmp"
    assert not [p for p in uploads.rglob("evil.*")]  # refused uploads are deleted at once
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700

    # A headerless WebM of 30 minutes is refused without decoding it whole.
    before = peak_rss_mb(server.proc.pid)
    webm = headerless_webm(tmp_path / "long.webm", 30 * 60)
    out = status_of(client, "/transcribe", handle_file(str(webm)))
    assert "longer than 5 min; the limit is 5 min" in out, out
    assert peak_rss_mb(server.proc.pid) - before < 100  # before the fix: about 290 MB more
    client.close()


@pytest.mark.server
def test_config_has_no_run_history_and_no_monitoring(app) -> None:
    _, url, _ = app
    status, _, body = fetch(f"{url}config")
    config = json.loads(body)
    assert status == 200 and config["run_history"] is False
    assert "runs" not in config.get("footer_links", [])
    status, _, body = fetch(f"{url}monitoring")
    assert status != 200 or b"Monitoring URL" not in body


@pytest.mark.server
def test_a_long_answer_through_the_api_is_refused_and_simultaneous_submits_grade_once(app) -> None:
    from gradio_client import Client

    _, url, data = app
    client = Client(url, verbose=False)
    assert status_of(client, "/start", "Long", "embedding-engineer", "junior") == ""
    status = status_of(client, "/submit", "x " * 15_000)
    assert "answers are kept up to 20,000 characters" in status, status
    jobs = [client.submit(f"Attempt {i}: embeddings map words to dense vectors.", api_name="/submit")
            for i in range(3)]
    statuses = [reply("/submit", job.result(timeout=120))["status"] for job in jobs]
    assert sum(s == "" for s in statuses) == 1, statuses
    import sqlite3

    with sqlite3.connect(data / "sessions.db") as db:
        session = db.execute("select id from sessions where candidate = 'Long'").fetchone()[0]
        assert db.execute("select count(*) from grades g join turns t on t.id = g.turn_id where t.session_id = ?",
                          [session]).fetchone()[0] == 1
    client.close()


@pytest.mark.server
def test_hostile_text_renders_as_text_for_the_coach_and_the_password_stays_out_of_the_browser(app) -> None:
    from gradio_client import Client

    from tests.test_browser import CHROMIUM_ARGS, _missing

    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI, but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    _, url, _ = app
    client = Client(url, verbose=False)
    client.predict(HOSTILE_NAME, "embedding-engineer", "junior", api_name="/start")
    assert status_of(client, "/submit", HOSTILE_TEXT) == ""
    client.close()

    beacons: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        page.on("request", lambda r: beacons.append(r.url) if r.url.startswith(BEACON) else None)
        page.goto(url)
        page.get_by_role("tab", name="Coach").click()
        page.get_by_label("Coach password", exact=True).fill(PASSWORD)
        page.get_by_label("Your name (shown on your notes)", exact=True).fill("Zoe")
        page.get_by_role("button", name="Sign in as coach", exact=True).click()
        expect(page.get_by_text("Signed in as coach")).to_be_visible()
        expect(page.get_by_label("Coach password", exact=True)).to_be_hidden()  # the form goes after sign-in
        rows = page.locator("#coach-sessions [role=row]:visible").filter(has_not=page.locator("[role=columnheader]"))
        rows.filter(has_text="Eve").first.get_by_text("Eve", exact=False).first.click()  # a row click opens it
        expect(page.get_by_text("AI grade: 10.0 / 10 (coach verified)").first).to_be_visible()  # as text

        page.get_by_label("Answer to review").click()
        page.get_by_role("option").first.click()
        page.get_by_label("Note for the candidate", exact=True).fill("Looks fine.")
        page.get_by_role("button", name="Save review", exact=True).click()
        expect(page.get_by_text("Saved. The AI grade is kept")).to_be_visible()

        assert page.locator(f'img[src^="{BEACON}"]').count() == 0
        assert page.locator(f'form[action^="{BEACON}"]').count() == 0
        assert page.locator("input[type=password]").count() <= 1  # at most the coach password box (hidden once signed in)
        assert page.locator(f'a[href^="{BEACON}"]').count() == 0
        fixed = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e =>
            getComputedStyle(e).position === 'fixed' && (e.textContent || '').includes('overlay')).length""")
        assert fixed == 0
        assert page.locator("h1, h2, h3").filter(has_text="AI grade: 10.0").count() == 0
        assert not beacons, beacons

        stored = page.evaluate("""() => {
            const all = {};
            for (const s of [localStorage, sessionStorage])
                for (let i = 0; i < s.length; i++) all[s.key(i)] = s.getItem(s.key(i));
            return all; }""")
        assert not any(PASSWORD in (v or "") for v in stored.values()), list(stored)
        assert not any("run" in k.lower() and "history" in k.lower() for k in stored), list(stored)
        browser.close()


@pytest.mark.server
def test_a_forged_forwarded_for_counts_against_the_real_address_across_a_restart(tmp_path, shared_cache) -> None:
    from gradio_client import Client

    env = {"BOT_COACH_PASSWORD": PASSWORD}
    server = AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=180, env=env)
    try:
        url = server.start()
        for i in range(5):  # five made-up addresses, one real one (127.0.0.1, not a trusted proxy)
            client = Client(url, verbose=False, headers={"X-Forwarded-For": f"10.9.0.{i}"})
            assert "not the coach password" in str(client.predict(f"guess {i}", "M", api_name="/coach_sign_in"))
            client.close()
        server.stop()
        log = server.log_path.read_text()
        assert "from 127.0.0.1" in log and "10.9.0." not in log
        server = AppServer(tmp_path, cache_dir=shared_cache, start_timeout_s=180, env=env)
        url = server.start()  # a restart forgets nothing
        client = Client(url, verbose=False, headers={"X-Forwarded-For": "10.9.0.99"})
        assert "paused" in str(client.predict(PASSWORD, "Zoe", api_name="/coach_sign_in"))
        client.close()
    finally:
        server.stop()
