# Two commands: `make run` runs the pipeline locally, `make test` runs the tests.
# Everything they need (virtualenv, Airflow home with a SQLite metadata DB, the DuckDB warehouse)
# is created under this folder when missing and reused otherwise.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCAL := $(CURDIR)/.local
DATE ?=

export AIRFLOW_HOME ?= $(LOCAL)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
export NBA_DATA_DIR ?= $(LOCAL)
export PYTHONPATH := $(CURDIR)/plugins

.PHONY: run test venv lint bench clean

$(BIN)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	uv sync --frozen --extra celery --python $(PYTHON)
	@touch $@

venv: $(BIN)/.synced

$(AIRFLOW_HOME)/airflow.db: $(BIN)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate >/dev/null

run: $(BIN)/.synced $(AIRFLOW_HOME)/airflow.db
	$(BIN)/nba-pipeline migrate
	$(BIN)/airflow dags test nba_schema_migrations $(DATE)
	$(BIN)/nba-pipeline verify-schema

test: $(BIN)/.synced
	@$(BIN)/python -m pytest tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected"; exit 0; fi; exit $$status

lint: $(BIN)/.synced
	$(BIN)/ruff check .

clean:
	rm -rf $(LOCAL)
