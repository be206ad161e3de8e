"""docker-compose.yaml, Dockerfile and .dockerignore, checked without a Docker engine.

The Compose file is validated against the Compose Specification JSON schema vendored in
``tests/fixtures/compose-spec.json``: an unmodified copy of ``compose-spec.json`` as shipped in the
check-jsonschema 0.39.0 wheel on PyPI (``check_jsonschema/builtin_schemas/vendor/``, sha256
d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64). The schema is the
compose-spec project's, under the Apache License 2.0.

Compose interpolates ``${VAR:-default}`` before it validates, so the checks below do the same with
an empty environment (what ``docker compose up`` sees without a ``.env``), unless a test says
otherwise.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.conftest import PROJECT_ROOT

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yaml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = PROJECT_ROOT / "docker" / "env.example"
COMPOSE_SCHEMA = PROJECT_ROOT / "tests" / "fixtures" / "compose-spec.json"

AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
DEFAULT_SERVICES = {"postgres", "redis", "airflow-init", *AIRFLOW_COMMANDS}
PROJECT_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./plugins": "/opt/airflow/plugins",
    "./include": "/opt/airflow/include",
}
WAREHOUSE_VOLUME = "nba-data"


# --- Compose helpers (also used by test_grafana.py) ---------------------------------------------

_VARIABLE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution, applied to every string value (not to keys)."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        name = match.group(2) or match.group(5)
        operator, argument = match.group(3), match.group(4) or ""
        current = env.get(name)
        if operator == ":-":
            return current if current else argument
        if operator == "-":
            return current if current is not None else argument
        if operator == ":+":
            return argument if current else ""
        if operator == "+":
            return argument if current is not None else ""
        if operator in (":?", "?") and not current:
            raise ValueError(f"required variable {name} is not set: {argument}")
        return current or ""

    return _VARIABLE.sub(substitute, value)


def load_compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """docker-compose.yaml with YAML anchors merged and variables substituted from ``env``."""
    return interpolate(_raw_compose(), env or {})


@cache
def _raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def volume_mounts(service: dict[str, Any]) -> dict[str, str]:
    """A service's short-syntax volumes as {container path: source}."""
    mounts = {}
    for entry in service.get("volumes", []):
        source, target, *_mode = entry.split(":")
        mounts[target] = source
    return mounts


def airflow_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run this project's Airflow image."""
    image = compose["x-airflow-common"]["image"]
    return {name: svc for name, svc in compose["services"].items() if svc.get("image") == image}


def init_script(compose: dict[str, Any]) -> str:
    command = compose["services"]["airflow-init"]["command"]
    assert command[0] == "-c"
    return command[1]


def _settings_under(env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """The package's settings as a container with this environment would read them."""
    from nba_pipeline.settings import get_settings

    for key in [k for k in os.environ if k.startswith("NBA_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("NBA_"):
            monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


# --- The Compose file -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def test_compose_file_validates_against_the_compose_specification(compose, compose_validator):
    errors = sorted(compose_validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda doc: doc["services"]["airflow-worker"].update(imagee="typo"),
        lambda doc: doc["services"]["airflow-apiserver"].update(ports="8080:8080"),
        lambda doc: doc["services"]["airflow-worker"]["depends_on"]["postgres"].update(condition=3),
        lambda doc: doc.update(servicez={}),
    ],
    ids=["unknown-attribute", "ports-not-a-list", "condition-not-a-string", "unknown-top-level-key"],
)
def test_the_schema_rejects_a_broken_compose_file(compose, compose_validator, breakage):
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert list(compose_validator.iter_errors(broken))


def test_the_services_of_the_reference_celery_stack_exist_with_their_commands(compose):
    services = compose["services"]
    assert set(services) >= DEFAULT_SERVICES | {"flower", "grafana"}
    for name, command in AIRFLOW_COMMANDS.items():
        assert services[name]["command"] == command, name
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "8080:8080" in services["airflow-apiserver"]["ports"]
    assert services["flower"]["command"] == "celery flower"
    assert services["airflow-init"]["entrypoint"] == "/bin/bash"
    assert services["airflow-init"]["user"] == "0:0"


def test_only_the_core_services_start_without_a_profile(compose):
    started = {name for name, svc in compose["services"].items() if not svc.get("profiles")}
    assert started == DEFAULT_SERVICES
    assert compose["services"]["flower"]["profiles"] == ["flower"]
    assert compose["services"]["grafana"]["profiles"] == ["grafana"]


def test_healthchecks_and_start_order_follow_the_reference_file(compose):
    services = compose["services"]
    for name, svc in services.items():
        if name not in {"airflow-init", "airflow-cli"}:
            assert "test" in svc.get("healthcheck", {}), f"{name} has no healthcheck"
    for name, svc in airflow_services(compose).items():
        depends = svc["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
        if name not in {"airflow-init", "airflow-cli"}:
            assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"] == {"condition": "service_healthy"}


def test_every_airflow_service_runs_the_local_image_with_the_project_and_the_warehouse(compose):
    common = compose["x-airflow-common"]
    assert common["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    services = airflow_services(compose)
    assert set(services) >= {*AIRFLOW_COMMANDS, "airflow-init", "airflow-cli", "flower"}
    for name, svc in services.items():
        mounts = volume_mounts(svc)
        for source, target in PROJECT_MOUNTS.items():
            assert mounts.get(target) == source, f"{name} does not mount {source} at {target}"
        assert mounts.get("/opt/airflow/data") == WAREHOUSE_VOLUME, name
    assert WAREHOUSE_VOLUME in compose["volumes"]
    env = common["environment"]
    for variable in ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT"):
        assert Path(env[variable]).is_relative_to("/opt/airflow/data"), variable


def test_every_airflow_service_gets_the_common_environment(compose):
    common = compose["x-airflow-common"]["environment"]
    for name, svc in airflow_services(compose).items():
        missing = {k: v for k, v in common.items() if svc["environment"].get(k) != v}
        assert not missing, f"{name} lacks or changes {sorted(missing)}"
        assert svc["env_file"] == [{"path": ".env", "required": False}], name


def test_executor_metadata_database_and_broker(compose):
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    database = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert (database.scheme, database.hostname) == ("postgresql+psycopg2", "postgres")
    results = urlsplit(env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert (results.scheme, results.hostname, results.path) == ("db+postgresql", "postgres", database.path)
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    execution_api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert (execution_api.hostname, execution_api.port, execution_api.path) == (
        "airflow-apiserver",
        8080,
        "/execution/",
    )
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith(".SimpleAuthManager")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
    assert env["AIRFLOW__CORE__FERNET_KEY"] == ""  # a placeholder: the real key goes in .env


def test_duckdb_is_the_default_and_has_one_writer_at_a_time(compose, settings_env):
    env = compose["x-airflow-common"]["environment"]
    assert env["NBA_WAREHOUSE_BACKEND"] == "duckdb"
    assert 1 <= int(env["AIRFLOW__CELERY__WORKER_CONCURRENCY"]) <= 4
    settings = _settings_under(env, settings_env)
    assert settings.warehouse_backend == "duckdb"
    assert settings.duckdb_path == Path("/opt/airflow/data/warehouse.duckdb")
    assert settings.payload_root == "/opt/airflow/data/payloads"
    # A waiting task outlasts a neighbour's whole processor run rather than failing on the lock.
    assert settings.duckdb_lock_wait_seconds >= 300


def test_bigquery_is_one_setting_away(settings_env):
    env = load_compose({"NBA_WAREHOUSE_BACKEND": "bigquery"})["x-airflow-common"]["environment"]
    settings = _settings_under(env, settings_env)
    assert settings.warehouse_backend == "bigquery"
    assert settings.bigquery_conn_id == "google_cloud_default"
    # The connection itself comes from .env (env_file), documented there with a commented example.
    example = re.search(r"^# AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT='(.+)'$", ENV_EXAMPLE.read_text(), re.MULTILINE)
    assert example, "docker/env.example lacks the commented AIRFLOW_CONN_GOOGLE_CLOUD_DEFAULT example"
    connection = json.loads(example.group(1))
    assert connection["conn_type"] == "google_cloud_platform"
    assert "keyfile_dict" not in connection["extra"] and "private_key" not in example.group(1)
    key_mount = volume_mounts(load_compose()["services"]["airflow-worker"])
    assert connection["extra"]["key_path"] in key_mount


def test_every_nba_variable_in_the_compose_file_is_a_setting(compose):
    read = set(
        re.findall(r'env\.get\("(NBA_[A-Z_]+)"', (PROJECT_ROOT / "plugins/nba_pipeline/settings.py").read_text())
    )
    given = {k for k in compose["x-airflow-common"]["environment"] if k.startswith("NBA_")}
    assert given <= read, f"not read by settings.py: {sorted(given - read)}"


def test_init_migrates_and_creates_the_pools(compose):
    script = init_script(compose)
    assert "airflow db migrate" in script
    pools = {name: int(slots) for name, slots in re.findall(r"airflow pools set (\S+) (\d+)", script)}
    state_pool = compose["x-airflow-common"]["environment"]["NBA_STATE_WRITE_POOL"]
    assert pools.get(state_pool, 0) >= 1
    assert pools.get("nba_duckdb") == 1
    passwords = compose["x-airflow-common"]["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert f"> {passwords}" in script
    assert "nba-pipeline migrate" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_init_script_is_valid_bash(compose):
    result = subprocess.run(["bash", "-n", "-c", init_script(compose)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- Dockerfile and build context ---------------------------------------------------------------


@cache
def _locked_version(package: str) -> str:
    lock = tomllib.loads((PROJECT_ROOT / "uv.lock").read_text())
    return next(p["version"] for p in lock["package"] if p["name"] == package)


def _dockerfile_lines() -> list[str]:
    """Instructions with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _base_image() -> re.Match[str]:
    images = [line.split()[1] for line in _dockerfile_lines() if line.upper().startswith("FROM ")]
    matches = [
        m
        for image in images
        if (m := re.fullmatch(r"apache/airflow:(?P<airflow>[\d.]+)-python(?P<python>[\d.]+)", image))
    ]
    assert len(matches) == 1, f"expected one apache/airflow:<version>-python<version> base image, found {images}"
    return matches[0]


def test_the_base_image_is_the_airflow_version_pinned_in_the_lock():
    base = _base_image()
    assert base["airflow"] == _locked_version("apache-airflow")
    requires_python = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(base["python"]) in SpecifierSet(requires_python)


def test_the_image_installs_the_locked_dependencies_as_the_airflow_user():
    lines = _dockerfile_lines()
    run = " ".join(line for line in lines if line.startswith("RUN "))
    copied = {
        token for line in lines if line.startswith("COPY ") for token in line.split()[1:] if not token.startswith("--")
    }
    assert {"pyproject.toml", "uv.lock", "README.md"} <= copied
    assert re.search(r"uv export --frozen\b.*--no-dev\b", run)
    assert re.search(
        r'uv pip install .*"apache-airflow==\$\{AIRFLOW_VERSION\}" --requirement /tmp/requirements.txt', run
    )
    assert re.search(r"pip install .*--no-deps --editable \.", run)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] == "airflow"
    assert not re.search(r"^(ENV|ARG) \S*(SECRET|PASSWORD|TOKEN|KEY)", "\n".join(lines), re.MULTILINE)
    uv_pin = re.search(r"ARG UV_VERSION=(\S+)", "\n".join(lines))
    makefile_pin = re.search(r"uv==([\d.]+)", (PROJECT_ROOT / "Makefile").read_text())
    assert uv_pin and makefile_pin and uv_pin.group(1) == makefile_pin.group(1)


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv")
def test_the_build_time_export_works_from_the_copied_files_alone(tmp_path):
    run = next(line for line in _dockerfile_lines() if "uv export" in line)
    export = run[run.index("uv export") : run.index("--output-file")].split()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    result = subprocess.run(["uv", *export[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", result.stdout, re.MULTILINE))
    assert pins["apache-airflow"] == _base_image()["airflow"]
    assert {"apache-airflow-providers-celery", "apache-airflow-providers-postgres", "redis", "duckdb"} <= set(pins)
    assert "pytest" not in pins and "nba-pipeline" not in pins


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its parents wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        regex = (
            re.escape(body)
            .replace(r"\*\*/", "(.*/)?")
            .replace(r"\*\*", ".*")
            .replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]")
        )
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            ignored = not negate
    return ignored


def test_the_build_context_holds_what_the_dockerfile_copies_and_nothing_local():
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    needed = [
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "dags/nba_daily_pipeline.py",
        "plugins/nba_pipeline/settings.py",
        "include/sql/schemas/nba_processing.processor_runs.sql",
    ]
    for path in needed:
        assert (PROJECT_ROOT / path).exists(), path
        assert not _ignored(path, patterns), f"{path} is excluded from the build context"
    for path in [
        ".venv/bin/python",
        ".local/warehouse.duckdb",
        ".env",
        "tests/conftest.py",
        ".git/HEAD",
        "plugins/nba_pipeline/__pycache__/settings.cpython-311.pyc",
        "docker/env.example",
    ]:
        assert _ignored(path, patterns), f"{path} would be sent to the Docker build"
