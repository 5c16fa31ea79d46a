"""requirements.txt (what Spaces installs) stays in step with pyproject.toml; torch stays pinned."""

from __future__ import annotations

import tomllib

from tests.helpers import ROOT, requirement_lines


def test_requirements_match_pyproject() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(requirement_lines(ROOT / "requirements.txt")) == sorted(deps)
    assert "torch==2.13.0" in deps
    assert all("==" in d for d in deps), "pin every dependency so a fresh machine gets what was tested"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make run" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
