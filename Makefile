# The two commands: `make demo` and `make test`. Both set up everything they need, idempotently.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: demo test install db browser gdal migrate sample serve bench lint clean

$(STAMP): pyproject.toml
	bash scripts/setup-python.sh
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

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

bench: install db browser gdal
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/visits.py --clients 16 --visits 40
	$(BIN)/python bench/progress_map.py
	$(BIN)/python bench/exports.py

lint: install
	$(BIN)/ruff check gis api maps tests bench

clean:
	rm -rf $(VENV) build .pytest_cache
