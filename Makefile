# The two commands: `make demo` and `make test`. Both set up everything they need, idempotently.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test install lock db browser gdal migrate sample serve bench lint clean

$(STAMP): pyproject.toml requirements.lock
	bash scripts/setup-python.sh
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

# Rewrite requirements.lock from this environment (after changing pyproject.toml's deps).
lock:
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	$(BIN)/python scripts/lock.py

install: $(STAMP)

db:
	bash scripts/setup-postgis.sh

migrate: install db
	$(BIN)/telecom-gis db upgrade

sample: migrate
	$(BIN)/telecom-gis sample load

demo: sample
	@echo "API token of the demo administrator 'quantri' (valid 1 day; Authorization: Bearer ...):"
	@$(BIN)/telecom-gis users token quantri --days 1 --label "make demo"
	@echo "Sign in at http://$(HOST):$(PORT)/login with it, then open /viewer, /dashboard, /maps/progress."
	$(BIN)/telecom-gis serve --host $(HOST) --port $(PORT)

gdal:
	bash scripts/setup-gdal.sh

browser:
	bash scripts/setup-browser.sh

test: install db browser gdal
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The side-by-side suite (ours vs tipg, ogr2ogr, bare SQL at 1,000,000 segments; ~15 min on
# 2 cores) writing bench/results.md. BENCH_ARGS='--segments 100000' for a quick run. The older
# single benchmarks (bench/run.py, visits.py, exports.py, progress_map.py, dashboard.py) run alone.
bench: install db gdal
	bash scripts/setup-tipg.sh
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check gis api maps tests bench

clean:
	rm -rf $(VENV) build .pytest_cache
