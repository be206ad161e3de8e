# Two commands: `make run` runs the pipeline locally, `make test` runs the tests.
# Everything they need (virtualenv, Airflow home with a SQLite metadata DB, the DuckDB warehouse)
# is created under this folder when missing and reused otherwise.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCAL := $(CURDIR)/.local
SAMPLE_DATE := 2025-01-15
DATE ?= $(SAMPLE_DATE)

export AIRFLOW_HOME ?= $(LOCAL)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= WARNING
export NBA_DATA_DIR ?= $(LOCAL)
export PYTHONPATH := $(CURDIR)/plugins

.PHONY: run test test-fast replay report venv lint bench clean

# Installed compiled to bytecode: where PYTHONDONTWRITEBYTECODE is set (as on CI machines), every
# Python process (each test worker, each Airflow task or component process) would otherwise compile
# Airflow's modules again from source.
$(BIN)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	uv sync --frozen --extra celery --compile-bytecode --python $(PYTHON)
	@touch $@

venv: $(BIN)/.synced

$(AIRFLOW_HOME)/airflow.db: $(BIN)/.synced
	@mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate >/dev/null
	$(BIN)/airflow pools set nba_state_writes 4 "bounds concurrent breaker and run-log writes" >/dev/null

HISTORY_DAYS := 30
day_offset = $(shell $(PYTHON) -c "import datetime as d; print(d.date.fromisoformat('$(DATE)') + d.timedelta(days=$(1)))")

# The daily pipeline for one date of the simulated 2024-25 season, then a summary of what it did.
# The first run backfills the 30 days before it (the history the features need); later runs skip
# the dates already complete.
run: $(BIN)/.synced $(AIRFLOW_HOME)/airflow.db
	@$(BIN)/nba-pipeline migrate
	@mkdir -p $(LOCAL)/logs
	@echo "backfilling history $(call day_offset,-$(HISTORY_DAYS)) .. $(call day_offset,-1) (log: $(LOCAL)/logs/backfill-$(DATE).log)"
	@$(BIN)/airflow dags test nba_backfill $(call day_offset,-1) \
		-c '{"start_date": "$(call day_offset,-$(HISTORY_DAYS))", "end_date": "$(call day_offset,-1)"}' \
		> $(LOCAL)/logs/backfill-$(DATE).log 2>&1 || { tail -40 $(LOCAL)/logs/backfill-$(DATE).log; exit 1; }
	@$(BIN)/python -c "from nba_pipeline.predictions.model import load_best_model; load_best_model()" \
		>/dev/null 2>&1 || { echo "training the xgboost_v1 model on that history (log: $(LOCAL)/logs/training.log)"; \
		$(BIN)/airflow dags test nba_model_training $(call day_offset,-1) > $(LOCAL)/logs/training.log 2>&1 \
		|| { tail -40 $(LOCAL)/logs/training.log; exit 1; }; }
	@since=$$(date -u +%Y-%m-%dT%H:%M:%S+00:00); \
	echo "running nba_daily_pipeline for $(DATE) (log: $(LOCAL)/logs/run-$(DATE).log)"; \
	$(BIN)/airflow dags test nba_daily_pipeline $(DATE) -c '{"game_date": "$(DATE)"}' \
		> $(LOCAL)/logs/run-$(DATE).log 2>&1; status=$$?; \
	$(BIN)/nba-pipeline summary --date $(DATE) --since $$since; \
	if [ $$status -ne 0 ]; then tail -40 $(LOCAL)/logs/run-$(DATE).log; exit $$status; fi

# The daily pipeline for every date FROM..TO in order, each at its scheduled time (10:00 New York) on
# the package clock, after backfilling the 30 days before FROM; a verdict table per day under
# .local/replay; exit 1 on any verdict the calendar does not explain.
FROM ?= 2025-02-10
TO ?= 2025-02-22
replay: $(BIN)/.synced $(AIRFLOW_HOME)/airflow.db
	@$(BIN)/nba-pipeline replay --from $(FROM) --to $(TO)

# The evaluation of what a replay (or the daily runs) predicted and graded, week by week, as one
# self-contained HTML file under .local/report/ (FROM / TO default to the graded dates).
report: $(BIN)/.synced
	@$(BIN)/nba-pipeline report $(if $(REPORT_FROM),--from $(REPORT_FROM)) $(if $(REPORT_TO),--to $(REPORT_TO))

# Two pytest workers (pytest-xdist), one per core; each test module runs whole on one worker (its
# module fixtures are built once), and each worker has its own Airflow home and metadata DB. Scopes
# go out in collection order, where tests/conftest.py puts the minutes-long ones first; the 25
# slowest test phases are listed at the end.
test: $(BIN)/.synced
	@$(BIN)/python -m pytest tests -n 2 --dist loadscope --no-loadscope-reorder --durations=25; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected"; exit 0; fi; exit $$status

# The edit-test loop: the unit and integrity tiers without the tests marked integration (no
# dag.test() run, no Airflow API server), and a fifth of the breaker model's random sequences, on
# two workers, each test module whole on one.
test-fast: $(BIN)/.synced
	@NBA_FAST_TESTS=1 $(BIN)/python -m pytest tests/unit tests/integrity -q -m "not integration" -n 2 --dist loadfile; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected"; exit 0; fi; exit $$status

# ruff (with complexity and Airflow rules) over everything, mypy --strict over plugins/ and dags/.
lint: $(BIN)/.synced
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every benchmark, one Markdown report (also .local/bench/report.md). BENCH_ARGS=--quick for a smoke
# test with smaller sizes, or names to run a subset, e.g. BENCH_ARGS="parse guard_cost".
BENCH_ARGS ?=
bench: $(BIN)/.synced
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(LOCAL)
