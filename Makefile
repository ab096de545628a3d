# Two commands on a fresh machine: `make report` (whole pipeline) and `make test`.
# Both create .venv from the pinned requirements when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2
SNAKEMAKE := $(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES)

export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0
# one BLAS/OpenMP thread per job unless a rule asks for more: Snakemake already runs jobs
# side by side, and oversubscribed threads make scikit-learn fits many times slower
export OMP_NUM_THREADS ?= 1

.PHONY: report test test-slow lab lint dry-run bench lock clean-outputs help

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

test: $(STAMP)  ## lint, then the test suite (includes a tiny real pipeline run)
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint --configfile tests/data/config_tiny.yaml
	$(BIN)/pytest -m "not slow"

test-slow: $(STAMP)  ## the long statistical checks (many seeds)
	$(BIN)/pytest -m slow

lab: $(STAMP)  ## JupyterLab on the project's kernel; notebooks/*.py open as notebooks
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP)  ## ruff and snakemake --lint
	$(BIN)/ruff check .
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
