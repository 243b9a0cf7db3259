# The two commands of the README. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test install bench clean

# Re-installs only when the dependency list changes: a second `make run` starts in seconds.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Front-end libraries of the labeling pages (package.json), exactly as package-lock.json pins
# them; reinstalled only when the lock file changes.
NODE_INSTALLED := node_modules/.installed
$(NODE_INSTALLED): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(INSTALLED) $(if $(wildcard package.json),$(NODE_INSTALLED))

run: install
	@bash scripts/run.sh

# Extra pytest arguments: make test ARGS='-k worker -x'
test: install
	@bash scripts/test.sh $(ARGS)

bench: install
	$(PY) bench/import_bench.py

clean:
	rm -rf $(VENV) var staticfiles
