"""requirements.txt (what Spaces installs) stays in step with pyproject.toml; torch stays pinned; the wheel
holds the app and none of the developer tools."""

from __future__ import annotations

import ast
import tomllib

import setuptools

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


def test_the_wheel_holds_the_app_and_leaves_the_developer_tools_out() -> None:
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = setuptools.find_packages(str(ROOT), include=include)
    assert {"bot", "bot.grading", "bot.ui"} <= set(packages)
    assert not [p for p in packages if p.split(".")[0] != "bot"], packages


def test_the_app_never_imports_a_developer_tool_or_reads_the_tests() -> None:
    """devtools/ and tests/ are not installed: nothing in bot/ may need them at run time (the CLI
    reaches devtools only through bot.cli_support.devtool, which says so when they are missing)."""
    for path in sorted((ROOT / "bot").rglob("*.py")):
        text = path.read_text()
        tree = ast.parse(text)
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.split(".")[0] in ("devtools", "tests")], path
        assert '"tests"' not in text and "tests/fixtures" not in text, path


def test_the_readme_layout_names_every_module_on_a_line_of_its_own() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    named = {line.split()[0] for line in layout.splitlines() if line.strip()}  # a module's line starts with its path
    modules = {str(p.relative_to(ROOT)) for d in ("bot", "devtools") for p in (ROOT / d).rglob("*.py")} | {"app.py"}
    assert modules <= named, sorted(modules - named)
