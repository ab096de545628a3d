# Two commands on a fresh machine: `make report` (whole pipeline) and `make test`.
# Both create .venv from the pinned requirements when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2
# pytest-xdist workers for make test: each test module runs on one worker (--dist loadfile, so a
# module-scoped fixture is built once); the two long shared pipeline runs are built once for all
# workers (tests/conftest.py, built_once). Set 1 on a busy machine (pipelines use 2 cores each).
TEST_WORKERS ?= 2
SNAKEMAKE := $(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0
# one BLAS/OpenMP thread per job unless a rule asks for more: Snakemake already runs jobs
# side by side, and oversubscribed threads make scikit-learn fits many times slower
export OMP_NUM_THREADS ?= 1

.PHONY: report pdf test test-slow test-slurm browser unlock lab lint dry-run bench lock clean-outputs help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt pyproject.toml workflow/jupyter/overrides.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name relapse-models --display-name "relapse-models (.venv)" > /dev/null
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp workflow/jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

report: $(STAMP)  ## run the whole default pipeline into reports/
	$(SNAKEMAKE)
	@echo "Report: file://$(abspath reports/index.html)"

pdf: $(STAMP) browser  ## A4 PDF of each county page in reports/pdf/ (after make report)
	@ls reports/counties/*.html >/dev/null 2>&1 || { echo "no county pages: run make report first"; exit 1; }
	$(BIN)/python -m relapse_models.report.pdf reports/counties/*.html --out reports/pdf

# The browser tests open the reports in Debian's Chromium, with Noto CJK for the page text
# (figures carry their own font). As root with apt (CI, the project's machines) they are
# installed here; elsewhere the browser tests skip and say why (they fail when CI=true).
browser:  ## install Chromium and CJK fonts for the browser tests (root + apt only)
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "chromium or CJK fonts missing: browser tests will be skipped (apt-get install chromium fonts-noto-cjk)"; fi

test: $(STAMP) browser  ## lint, then the test suite (includes a tiny real pipeline run)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/snakemake --lint --configfile tests/data/config_tiny.yaml
	$(BIN)/pytest -m "not slow and not slurm" -n $(TEST_WORKERS) --dist loadfile --durations=15

test-slow: $(STAMP)  ## the long statistical checks (many seeds)
	$(BIN)/pytest -m slow -n $(TEST_WORKERS) --dist loadfile --durations=15

# A single-node SLURM cluster on localhost (tests/slurm/cluster.sh: munge, slurmctld, slurmd,
# state in a temporary folder, stopped afterwards), the tiny pipeline submitted through
# workflow/profiles/slurm, its tables compared with a local run's. Root only: the Debian
# packages are installed when missing; elsewhere the test skips and says why.
test-slurm: $(STAMP)  ## the tiny pipeline on a real single-node SLURM cluster (root)
	$(BIN)/pytest -m slurm --durations=5

unlock: $(STAMP)  ## release the folder after a hard-killed run (then run make report again)
	$(SNAKEMAKE) --unlock

lab: $(STAMP)  ## JupyterLab on the project's kernel; notebooks/*.py open as notebooks
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP)  ## ruff, the package's layer contract (lint-imports) and snakemake --lint
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/snakemake --lint

dry-run: $(STAMP)  ## what the pipeline would run
	$(SNAKEMAKE) -n

bench: $(STAMP)  ## benchmarks at growing scale (see benchmarks/README.md)
	$(BIN)/python benchmarks/run.py

lock: $(STAMP)  ## re-pin requirements.txt from requirements.in (then update environment.yml)
	$(BIN)/python -m pip install --quiet --upgrade -r requirements.in
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^relapse-models' > requirements.txt

clean-outputs:  ## delete data/ and reports/ outputs (keeps the venv)
	find data reports -mindepth 1 ! -name README.md -delete
	rm -rf .snakemake
