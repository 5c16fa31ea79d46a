"""Broken files and disks: a sentence that names the file, never a traceback; the app stays up.

A full disk and a read-only database are real here, not mocked: the database lives on a tiny
tmpfs that the test fills up, or remounts read-only. chmod would not do -- the tests run as
root, and root writes through file modes -- so mounting is the honest way (it needs root, which
CI has; elsewhere these tests skip and say why).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.__main__ import cli
from bot.services import build_interview
from bot.settings import Settings
from bot.store import SessionStore, StoreError
from bot.ui import handlers
from bot.ui.handlers import View
from tests.helpers import QUESTION, open_question, write

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", **env})


def broken_corpus(tmp: Path, kind: str) -> tuple[dict[str, str], str]:
    """A corpus broken in one way: the env that points at it, and the path the error must name."""
    write(tmp)
    corpus, rubrics = tmp / "corpus", tmp / "rubrics"
    env = {"BOT_CORPUS_DIR": str(corpus), "BOT_RUBRICS_DIR": str(rubrics)}
    target = rubrics / "embedding-engineer.yaml"
    if kind == "missing-corpus-folder":
        env["BOT_CORPUS_DIR"] = str(tmp / "nowhere")
        return env, str(tmp / "nowhere")
    if kind == "missing-rubric-file":
        target.unlink()
        return env, str(corpus / "embedding-engineer.yaml")
    if kind == "empty-file":
        target.write_text("")
    elif kind == "invalid-yaml":
        target.write_text("rubrics:\n  t-001: [unclosed\n")
    elif kind == "not-utf8":
        target.write_bytes(b"rubrics:\n  t-001: \xff\xfe\x00 broken\n")
    elif kind == "schema":
        (corpus / "embedding-engineer.yaml").write_text(QUESTION.format(level="guru"))
        return env, str(corpus / "embedding-engineer.yaml")
    elif kind == "folder-not-file":
        target.unlink()
        target.mkdir()
    return env, str(target)


CORPUS_FAULTS = ["missing-corpus-folder", "missing-rubric-file", "empty-file", "invalid-yaml", "not-utf8",
                 "schema", "folder-not-file"]


@pytest.mark.parametrize("kind", CORPUS_FAULTS)
def test_corpus_check_names_the_broken_file(tmp_path: Path, kind: str) -> None:
    env, path = broken_corpus(tmp_path, kind)
    result = CliRunner().invoke(cli, ["corpus", "check"], env=env)  # in-process (tests/test_cli.py runs the module)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a sentence, not a traceback
    assert path in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["invalid-yaml", "missing-rubric-file"])
def test_the_app_will_not_start_on_a_broken_corpus_and_says_why(tmp_path: Path, kind: str) -> None:
    env, path = broken_corpus(tmp_path, kind)
    result = run(["app.py"], {**env, "BOT_DATA_DIR": str(tmp_path / "data"), "BOT_PORT": "1"}, timeout=180)
    assert result.returncode != 0
    assert "The app cannot start:" in result.stderr and path in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_app_will_not_start_on_a_claim_checker_folder_without_one_and_says_why(tmp_path: Path) -> None:
    empty = tmp_path / "checker"
    empty.mkdir()
    result = run(["app.py"], {"BOT_CLAIM_CHECKER": str(empty), "BOT_DATA_DIR": str(tmp_path), "BOT_PORT": "1"},
                 timeout=180)
    assert result.returncode != 0
    assert "The app cannot start:" in result.stderr and str(empty) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_app_will_not_start_on_an_unusable_database_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "sessions.db"
    folder.mkdir()  # the database path is a folder
    result = run(["app.py"], {"BOT_DB_PATH": str(folder), "BOT_DATA_DIR": str(tmp_path), "BOT_PORT": "1"}, timeout=180)
    assert result.returncode != 0
    assert f"Cannot open the session database at {folder}: {folder} is a folder" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_damaged_database_file_gets_a_sentence(tmp_path: Path) -> None:
    db = tmp_path / "sessions.db"
    db.write_bytes(b"this is not a SQLite database, just some bytes" * 100)
    with pytest.raises(StoreError, match="is damaged or is not a SQLite database"):
        SessionStore(db)


# --- a real full disk and a real read-only file system --------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 1 MiB tmpfs; `mount -o remount,ro` makes it read-only."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def remount(disk: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(disk)], check=True)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def on_tiny_disk(tiny_disk: Path, settings: Settings, embedder):
    interview = build_interview(replace(settings, db_path=tiny_disk / "sessions.db"), embedder=embedder)
    view = handlers.start(interview, View(None, None, []), "Hal", "embedding-engineer", "mid",
                          question_id=open_question(interview.corpus))
    return interview, view, tiny_disk


def model_answer(interview, view: View) -> str:
    return interview.corpus.rubrics[interview.store.turn(view.turn_id)["question_id"]].model_answer


def test_a_full_disk_gets_a_sentence_and_the_app_carries_on(on_tiny_disk) -> None:
    interview, view, disk = on_tiny_disk
    answer = model_answer(interview, view)
    filler = fill(disk)

    failed = handlers.submit(interview, view, answer)
    assert failed.status.startswith("⚠️ Your work could not be saved just now")
    assert "the disk holding it is full" in failed.status and "still on screen" in failed.status
    assert failed.answer is None and failed.turn_id == view.turn_id  # the answer stays in the box
    assert "disk holding it is full" in handlers.next_question(interview, view).status

    filler.unlink()  # the site owner frees space; the same candidate carries on
    after = handlers.submit(interview, view, answer)
    assert after.status == "" and interview.store.grade_for(view.turn_id) is not None
    with sqlite3.connect(interview.store.path) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_a_read_only_database_gets_a_sentence_and_the_app_carries_on(on_tiny_disk) -> None:
    interview, view, disk = on_tiny_disk
    answer = model_answer(interview, view)
    # the store keeps its connection open for writing, and Linux will not remount a file system
    # read-only under an open writer: closed here, the next operation finds the file read-only
    interview.store.close()
    remount(disk, "ro")
    try:
        failed = handlers.submit(interview, view, answer)
        assert "the database or its folder is read-only" in failed.status and failed.answer is None
        with pytest.raises(StoreError, match="Cannot open the session database .* read-only. Point BOT_DB_PATH"):
            SessionStore(disk / "sessions.db")  # what start-up says
    finally:
        remount(disk, "rw")
    after = handlers.submit(interview, view, answer)
    assert after.status == "" and interview.store.turn(view.turn_id)["answer"]
