# The NBA pipeline's Airflow image: the official Airflow image, this project's locked dependencies
# and the project itself. The Airflow version of the base image must be the one pinned in uv.lock
# (tests/integrity/test_compose.py checks it).
FROM apache/airflow:3.3.2-python3.11

# uv as the Makefile pins it, from PyPI, to read uv.lock (the image's own uv may be older than the
# lock format). It lives in a throw-away folder; nothing of it stays in the image.
ARG UV_VERSION=0.13.9

# The base image runs as the non-root `airflow` user with a virtualenv in ~/.local (VIRTUAL_ENV);
# everything below installs into it as that user.
USER airflow
WORKDIR /opt/airflow

# Dependencies first (cached until the lock changes): export the locked, non-dev set with the
# Celery/PostgreSQL extra, then install it with apache-airflow held at the image's version, so an
# image/lock mismatch fails the build instead of replacing Airflow.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN PIP_USER=false python -m pip install --no-cache-dir --quiet --target /tmp/uv-tool "uv==${UV_VERSION}" \
    && /tmp/uv-tool/bin/uv export --frozen --no-dev --extra celery --no-hashes --no-emit-project \
        --no-header --output-file /tmp/requirements.txt \
    && /tmp/uv-tool/bin/uv pip install --no-cache "apache-airflow==${AIRFLOW_VERSION}" \
        --requirement /tmp/requirements.txt \
    && rm -rf /tmp/uv-tool /tmp/requirements.txt

# The project: DAGs, the package (plugins/ is on Airflow's sys.path) and the SQL. docker-compose
# mounts the working tree over these folders; the copies make the image usable on its own.
COPY --chown=airflow:0 dags/ dags/
COPY --chown=airflow:0 plugins/ plugins/
COPY --chown=airflow:0 include/ include/

# Editable install without dependencies (they are installed above): it adds /opt/airflow/plugins
# to the path and the `nba-pipeline` command, and the package finds include/sql at
# /opt/airflow/include whether the folders come from the image or from mounts.
# data/ holds the DuckDB warehouse, payloads and models; auth/ the local UI password file.
# Both become named volumes in docker-compose and inherit this ownership.
RUN pip install --no-cache-dir --quiet --no-deps --editable . \
    && mkdir -p /opt/airflow/data /opt/airflow/auth
