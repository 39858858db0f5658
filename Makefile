# The two commands of this project. Each sets up .venv on first use.
#   make report   the default conformance run -> reports/conformance.json, reports/conformance.html
#   make test     the test suites (the harness's own tests, and every library case with the smoke budget;
#                 the full ci budget over the library matrix is `make report`)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench clean docs screenshot

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
	$(BIN)/python -m pytest -q -n auto --dist loadgroup --conformance-matrix-profile smoke

# The generated docs (metric and property tables, findings) from the catalogue and the property registries.
docs: $(STAMP)
	$(BIN)/python -m conformance.docs

# The README's picture: a small run's report, rendered by headless Chromium.
screenshot: $(STAMP)
	$(BIN)/conformance run --quiet --metrics 'AUC,Precision,F1Score[average=macro],MeanSquaredError,R2Score' \
		--libraries sklearn,torchmetrics --json reports/screenshot.json --report reports/screenshot.html; \
	status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi
	chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,900 \
		--screenshot=$(CURDIR)/docs/report.png file://$(CURDIR)/reports/screenshot.html

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/harness_overhead.py
	$(BIN)/python benchmarks/report_render.py
	$(BIN)/python benchmarks/reference_speed.py
	$(BIN)/python benchmarks/check_speed.py

clean:
	rm -rf $(VENV) .hypothesis .pytest_cache reports/*.json reports/*.html reports/*.png
