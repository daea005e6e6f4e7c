# `make run` and `make test` work on a fresh machine with Python 3.11: each creates
# the virtualenv and installs requirements.txt first when they are missing or stale,
# then the project itself (editable, without dependencies: the lock has them), which
# puts the `alegra-sim` command in $(BIN).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench load openapi redis clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)  ## serve the simulator on SIM_HOST:SIM_PORT (127.0.0.1:8000)
	$(BIN)/python -m simulator serve

test: $(STAMP)  ## the whole test suite (installs the OS packages it drives when root, else says what skips)
	@scripts/system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff, configured in pyproject.toml
	$(BIN)/ruff check --quiet .

bench: $(STAMP)  ## benchmarks: print their figures and the commands behind them
	$(BIN)/python -m bench

load: $(STAMP)  ## a short headless Locust run against a fresh local simulator; reports in reports/ (LOAD_ARGS="-u 50 -t 2m")
	$(BIN)/python -m loadtests.run $(LOAD_ARGS)

redis:  ## a local Redis for SIM_STORE in the foreground, data under .data/ (REDIS_PORT=6379, else a free port)
	@scripts/redis

openapi: $(STAMP)  ## write openapi.json
	$(BIN)/python -m simulator export-openapi -o openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis reports
