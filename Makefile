# The two commands of this project. Each sets up .venv on first use.
#   make report   the default conformance run -> reports/conformance.json, reports/conformance.html
#   make test     the test suites (the harness's own tests, and every library case with the smoke budget;
#                 the full ci budget over the library matrix is `make report`)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[all,dev]'
	touch $(STAMP)

# Exit status 1 means "unexpected findings": the report is still the product, so make succeeds.
report: $(STAMP)
	@$(BIN)/conformance run -j auto --json reports/conformance.json --report reports/conformance.html; \
	status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi

# The report is also checked in headless Chromium (Debian's package; installed here when missing, as root).
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: the browser tests of the report will be skipped"
	$(BIN)/python -m pytest -q -n auto --conformance-matrix-profile smoke

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/harness_overhead.py
	$(BIN)/python benchmarks/report_render.py
	$(BIN)/python benchmarks/reference_speed.py

clean:
	rm -rf $(VENV) .hypothesis .pytest_cache reports/*.json reports/*.html reports/*.png
