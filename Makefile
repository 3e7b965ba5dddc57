# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers; a test module (and its module-scoped lab) stays in one worker. Three on
# two cores: much of the suite waits on lab sockets, slow-link faults and deadlines (measured on
# the idle machine, `/usr/bin/time -v pytest -n N --dist loadfile`: 2 workers 7 min 34 s, the
# test processes at 113 % CPU; 3 workers 5 min 59 s at 150 %, vmstat still 17 % idle).
WORKERS ?= 3

.PHONY: demo test setup interop-clients lint typecheck unit bench fuzz clean i18n

# uv installs what pip would (the same `pip freeze`, checked) from a cold cache in 17 s where
# pip takes 60 s; pip is the fallback where uv cannot be had. Compiled, as pip does: where
# PYTHONDONTWRITEBYTECODE is set (this machine sets it) nothing compiles later, and every
# process would compile its imports from source again (pytest 8 min 10 s against 6 min).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	( $(BIN)/python -m pip install --quiet uv && \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]' ) || \
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/provision demo -i examples/dalian

# The Debian packages (.ci/setup) and the project venv at once: both mostly wait on the network.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target setup $(STAMP)
	$(MAKE) --no-print-directory interop-clients lint typecheck unit

# The venvs of the interop suites' clients (tests/tooling.py CLIENTS) build in the background
# while lint and mypy run; a suite that needs one waits for its build (a file lock), and one
# that failed to build is reported by the suite that needs it.
interop-clients: $(STAMP)
	mkdir -p .venv-interop
	$(BIN)/python tests/tooling.py > .venv-interop/build.log 2>&1 &

# The programs the tests drive (Chromium, ffmpeg, GStreamer, SIPp, PostgreSQL...): installed
# when missing and root, else named; under CI=true nothing may be missing.
setup:
	.ci/setup

lint: $(STAMP)
	$(BIN)/ruff check provision tests bench examples tools
	$(BIN)/ruff format --check provision tests bench examples tools
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy provision

# provision's own modules compiled first, for the same reason: the suite starts hundreds of
# provision processes (CLI runs, lab daemons), each ~0.3 s faster to start with them.
unit: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 provision > /dev/null
	$(BIN)/pytest -n $(WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/lab.py
	$(BIN)/python bench/apply.py
	$(BIN)/python bench/verify.py

# Messages: extract every _()/ngettext()/N_() string into the template, and merge it into each
# language's catalog; then translate the new (empty) msgstr in provision/locale/*/LC_MESSAGES/
# provision.po. tests/i18n fails while one is missing.
# The template is a build product (build/, not committed): only the .po files are sources.
POT := build/i18n/provision.pot
# click's own words ("Usage:", "Error: …"), from the installed click, in a domain of their own.
CLICK_POT := build/i18n/click.pot
i18n: $(STAMP)
	mkdir -p $(dir $(POT))
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --no-wrap \
		--project provision --version 0.1.0 -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d provision/locale -D provision --no-fuzzy-matching \
		--ignore-obsolete --no-wrap --ignore-pot-creation-date
	$(BIN)/pybabel extract --no-location --sort-output --no-wrap --project click \
		--version "$$($(BIN)/python -c 'import click; print(click.__version__)' 2>/dev/null)" \
		-o $(CLICK_POT) "$$($(BIN)/python -c 'import click, os; print(os.path.dirname(click.__file__))')"
	$(BIN)/pybabel update -i $(CLICK_POT) -d provision/locale -D click --no-fuzzy-matching \
		--ignore-obsolete --no-wrap --ignore-pot-creation-date

# Long property runs (10,000+ examples): not part of `make test`.
fuzz: $(STAMP)
	$(BIN)/pytest -m fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .mypy_cache .ruff_cache
