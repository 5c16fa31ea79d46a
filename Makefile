# Two commands: `make run` (the app on http://127.0.0.1:7860) and `make test`.
# Each creates .venv and installs what it needs the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint clean browser pictures

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

test: $(STAMP) browser
	$(PY) -m pytest -q

# The browser tests drive Debian's Chromium through Playwright (which never downloads a browser).
# Installed when missing and we are root with apt-get; otherwise those tests skip and say why
# (in CI, where CI is set, they fail instead).
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "note: $(CHROMIUM) is missing and cannot be installed here (needs root and apt-get);" \
		"the browser tests will skip"; fi

# The README's pictures (docs/img): the browser tests that take them, told to write them there.
pictures: $(STAMP) browser
	BOT_README_PICTURES=1 $(PY) -m pytest -q tests/test_browser_practice.py tests/test_browser_mock.py tests/test_browser_coach.py

lint: $(STAMP)
	$(VENV)/bin/ruff check bot devtools tests app.py

clean:
	rm -rf $(VENV) data/cache
