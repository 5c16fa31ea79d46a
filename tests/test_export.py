"""Export: JSON round-trips the turns and grades, CSV has the expected columns, and the
command line writes the same files (or says in a sentence why it cannot)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.export import CSV_COLUMNS, ExportError, render
from bot.grading import Grade
from bot.store import SessionStore
from tests.history_seed import seed_with_override

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def seeded(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    return store, seed_with_override(store, "Zoe")


def test_a_json_export_read_back_gives_the_same_turns_and_grades(seeded) -> None:
    store, ids = seeded
    for session_id in (ids["s1"], ids["s2"]):
        back = json.loads(render(store.session_records([session_id]), "json"))
        stored = store.turns(session_id)
        assert back["session_id"] == session_id and back["candidate"] == "Ana"
        assert [(t["turn_id"], t["question_id"], t["answer"]) for t in back["turns"]] == [
            (t["id"], t["question_id"], t["answer"]) for t in stored]
        for t in back["turns"]:
            g = t["grade"]
            exported = Grade(score=g["score"], grader=g["grader"], model=g["model"], points=g["points"],
                             strengths=g["strengths"], gaps=g["gaps"], follow_ups=g["follow_ups"],
                             notices=g["notices"])
            assert exported == store.grade_for(t["turn_id"])
    overridden = json.loads(render(store.session_records([ids["s2"]]), "json"))["turns"][1]
    assert overridden["grade"]["score"] == 2.0 and overridden["override"]["score"] == 9.0
    assert overridden["override"]["coach"] == "Zoe" and overridden["final_score"] == 9.0


def test_csv_has_readable_columns_and_one_row_per_graded_answer(seeded) -> None:
    store, ids = seeded
    text = render(store.session_records([ids["s1"], ids["s2"], ids["other"]]), "csv")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert reader.fieldnames == CSV_COLUMNS
    assert len(rows) == 5
    last = next(r for r in rows if r["session_id"] == ids["s2"] and r["turn_number"] == "2")
    assert (last["ai_score"], last["coach_score"], last["final_score"], last["coach"]) == ("2.0", "9.0", "9.0", "Zoe")
    assert last["points_covered"] == "1" and last["points_total"] == "4"  # the coach covered skipgram
    assert "point cbow" in last["points_not_covered"] and "point skipgram" not in last["points_not_covered"]


def test_jsonl_and_markdown(seeded) -> None:
    store, ids = seeded
    records = store.session_records([ids["s1"], ids["s2"]])
    lines = render(records, "jsonl").splitlines()
    assert [json.loads(line)["session_id"] for line in lines] == [ids["s1"], ids["s2"]]
    md = render(store.session_records([ids["s2"]]), "md")
    for expected in ("# Practice session · Ana", "the text of emb\\-004", "> Not sure\\.", "**AI grade: 2.0 / 10**",
                     "✗ missing — point skipgram → coach: **✓ covered**", "Better than it looks\\.", "9.0 / 10"):
        assert expected in md, expected
    with pytest.raises(ExportError, match="2 sessions match"):
        render(records, "md")


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "export", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "BOT_DB_PATH": str(db)}, timeout=120)


def test_the_command_line_exports_and_explains_mistakes(seeded, tmp_path) -> None:
    store, ids = seeded
    out = tmp_path / "ana.csv"
    done = run_cli("--format", "csv", "--candidate", "ana", "--since", "2026-03-06", "--out", str(out), db=store.path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["session_id"] for r in rows} == {ids["s2"]} and len(rows) == 2

    one = run_cli("--format", "json", "--session", ids["s1"], "--out", "-", db=store.path)
    assert one.returncode == 0 and json.loads(one.stdout)["session_id"] == ids["s1"]

    for args, sentence in ((["--format", "csv", "--since", "last week"], "write it as YYYY-MM-DD"),
                           (["--format", "md"], "3 sessions match"),
                           (["--format", "csv", "--out", str(tmp_path / "no" / "such" / "dir.csv")], "Cannot write")):
        bad = run_cli(*args, *([] if "--out" in args else ["--out", str(tmp_path / "x")]), db=store.path)
        assert bad.returncode != 0 and sentence in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
    missing = run_cli("--format", "csv", "--out", "-", db=tmp_path / "nothing.db")
    assert missing.returncode != 0 and "no session database" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()  # the export never creates a database
