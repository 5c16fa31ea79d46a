"""The command line: ask prints one JSON object; corpus check fails loudly on a broken file.

Commands run in-process through click's CliRunner; one test starts `python -m bot` itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from bot.__main__ import cli
from tests.helpers import QUESTION, ROOT, write


def run(*args: str, env: dict | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="python -m bot")


def test_python_dash_m_bot_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "corpus", "check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.startswith("ok: "), result.stderr


def test_ask_grades_one_answer_as_json(corpus, shared_cache) -> None:
    qid = next(q.id for q in corpus.questions.values() if not q.options)
    result = run("ask", qid, corpus.rubrics[qid].model_answer, env={"BOT_CACHE_DIR": str(shared_cache)})
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert 0 <= out["score"] <= 10 and out["grader"] == "rubric"
    assert out["points"] and {"point_id", "verdict", "evidence"} <= set(out["points"][0])
    assert isinstance(out["follow_ups"], list)


def test_ask_with_an_unknown_question_says_so() -> None:
    result = run("ask", "no-such-question", "text")
    assert result.exit_code != 0 and "There is no question 'no-such-question'" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)  # a sentence, not a traceback


def test_corpus_check_passes_on_the_corpus_and_fails_on_a_broken_file(tmp_path: Path) -> None:
    assert run("corpus", "check").exit_code == 0
    write(tmp_path, QUESTION.format(level="guru"))
    bad = run("corpus", "check", env={"BOT_CORPUS_DIR": str(tmp_path / "corpus"),
                                      "BOT_RUBRICS_DIR": str(tmp_path / "rubrics")})
    assert bad.exit_code != 0 and "questions[t-001].level" in bad.stderr


def test_a_developer_tool_missing_from_an_installed_package_is_a_sentence(monkeypatch) -> None:
    """From a wheel (no devtools/ beside the package) `bench`, `loadtest` and `eval` say where the tool is."""
    def no_devtools(name: str):
        raise ModuleNotFoundError(f"No module named {name.split('.')[0]!r}", name=name.split(".")[0])

    monkeypatch.setattr("bot.cli_support.importlib.import_module", no_devtools)
    for args in (["bench"], ["loadtest"], ["eval", "data.jsonl"], ["grader", "fit", "data.jsonl"]):
        result = run(*args)
        assert result.exit_code != 0 and "is a developer tool" in result.stderr, result.output
        assert "Run it from a checkout" in result.stderr and not isinstance(result.exception, ModuleNotFoundError)


def test_an_unusable_embedding_model_setting_is_a_sentence(tmp_path: Path) -> None:
    for command in (["index", "build"], ["ask", "emb-005", "an answer"]):
        result = run(*command, env={"BOT_EMBEDDING_MODEL": str(tmp_path / "missing"), "BOT_CACHE_DIR": str(tmp_path)})
        assert result.exit_code == 1 and "set BOT_EMBEDDING_MODEL" in result.stderr, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
