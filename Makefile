# The platform's commands. `make run` and `make test` are the two that matter; both install
# everything they need into .venv (Python) and node_modules (buf) first.
SHELL := /bin/bash
PY_VERSION ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PYTEST := $(PY) -m pytest

.PHONY: demo browser token awaiting report install run test test-unit test-integration test-e2e test-faults proto proto-check lint lint-proto format bench bench-e2e bench-ledger bench-integrity clean

# The pinned dependencies, then the project itself as an editable install (pyproject.toml): the
# checkout and gen/'s contract packages on the path, and the console script .venv/bin/jjjc. It
# replaces the hand-written jjjc-platform.pth of earlier checkouts (removed here).
$(STAMP): requirements.txt pyproject.toml $(wildcard gen/*/__init__.py)
	$(PY_VERSION) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	rm -f $(VENV)/lib/python3*/site-packages/jjjc-platform.pth
	$(PIP) install -q --no-deps -e .
	touch $(STAMP)

node_modules/.bin/buf: package.json
	npm install --no-audit --no-fund --silent
	touch $@

install: $(STAMP) node_modules/.bin/buf

## Regenerate the Python protobuf/gRPC package gen/ from proto/ (never edit gen/ by hand).
proto: $(STAMP)
	$(PY) -m tools.gen_proto

## Lint and format check of the Python tree (ruff, pinned; configuration in ruff.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Rewrite the tree in ruff's format and apply its safe fixes.
format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lint-proto: node_modules/.bin/buf
	cd proto && ../node_modules/.bin/buf lint

## Start embedded PostgreSQL, the embedded broker and all four services; Ctrl-C stops all.
run: $(STAMP)
	$(PY) -m kernel.runtime.runner $(ARGS)

## Load the generated demo history into the running platform (make run in another terminal): make demo ARGS="--size small"
demo: $(STAMP)
	$(VENV)/bin/jjjc demo $(ARGS)

## Issue or inspect a signed token: make token ARGS="issue --agency commission --office complaints --role complaints_officer --user P-1"
## (jjjc token: the key of DATA_DIR or TOKEN_SIGNING_KEY_FILE, as make run; make token DATA_DIR=/elsewhere ...)
token: $(STAMP)
	$(VENV)/bin/jjjc token $(ARGS)

## What waits for you across the services, by due date: make awaiting ARGS="--token <token from make token>"
awaiting: $(STAMP)
	$(PY) -m kernel.edge.awaiting_cli $(ARGS)

## Statistics from the recorded events (domain.md §5): make report ARGS="tour-contribution --year 2019 --level CITY --token <token>"
report: $(STAMP)
	$(PY) -m services.audit.report $(ARGS)

## The whole suite: unit, integration (real PostgreSQL, real broker), end to end.
## Debian's headless Chromium, its driver and the CJK fonts for the replay page's browser tests (apt-get, when missing).
browser:
	bash deploy/scripts/install-browser.sh

test: install browser lint-proto lint
	$(PYTEST) -q

test-unit: $(STAMP)
	$(PYTEST) -q -m unit

test-integration: install
	$(PYTEST) -q -m integration

test-e2e: install
	$(PYTEST) -q -m e2e

## Fault scenarios (tests/faults: PostgreSQL, services and the broker killed under load), REPEAT times.
REPEAT ?= 1
test-faults: install
	for i in $$(seq $(REPEAT)); do echo "== fault run $$i of $(REPEAT)"; $(PYTEST) -q -s -m faults tests/faults || exit 1; done

## Benchmarks (their own pinned deps in bench/requirements.txt); ARGS="--help" for options.
bench: install
	$(PIP) install -q -r bench/requirements.txt
	$(PY) -m bench.append $(ARGS)

## End-to-end benchmark (issue 30): RegisterClue from 1, 8, 32, 64 gRPC clients against the platform as `make run` starts it: commands/s, latency, time until the ledger holds the event, CPU per command by process; ARGS="--runs 3|--target|--help".
bench-e2e: install
	$(PY) -m bench.e2e $(ARGS)

## Audit ledger benchmark: ingest events/s, proof and replay p50/p99, rebuild time at 100k and 1M leaves; ARGS="--quick|--help".
bench-ledger: install
	$(PY) -m bench.ledger $(ARGS)

## Integrity-opinion benchmark (issue 26): 200 candidates' answers proposed over 100k events of history, median of 3; ARGS="--quick|--help".
bench-integrity: install
	$(PY) -m bench.integrity $(ARGS)

clean:
	rm -rf $(VENV) node_modules .data .pytest_cache
