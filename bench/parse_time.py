"""DAG parse time: each DAG file and the whole dags/ folder through Airflow's DagBag.

Each measurement runs in a fresh process that first imports Airflow and the project package (the
cost every DAG processor pays once), then times the DagBag parse alone; the median of several runs
is reported. Targets: under 300 ms per file and under 1 s for the folder.

    .venv/bin/python bench/parse_time.py [runs]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, emit, loadavg  # noqa: E402

CHILD = """
import json, sys, time
import airflow.sdk, nba_pipeline.settings  # warm imports, as a long-running DAG processor has them
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
"""


def measure(target: Path, runs: int) -> dict:
    env = {**os.environ, "AIRFLOW_HOME": tempfile.mkdtemp(prefix="nba-parse-"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR", "PYTHONPATH": str(ROOT / "plugins")}
    samples = []
    try:
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", CHILD, str(target)], env=env, check=True,
                                 capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["errors"] == 0, f"{target} has import errors"
            samples.append(result["seconds"])
    finally:
        shutil.rmtree(env["AIRFLOW_HOME"], ignore_errors=True)
    return {"median_ms": round(statistics.median(samples) * 1000, 1), "max_ms": round(max(samples) * 1000, 1),
            "runs": runs}


def main(runs: int = 5) -> dict:
    load_start = loadavg()
    results = {path.name: measure(path, runs) for path in sorted((ROOT / "dags").glob("*.py"))}
    results["dags/ (DagBag of the folder)"] = measure(ROOT / "dags", runs)
    print("| DAG file | median ms | max ms | target |")
    print("|---|---|---|---|")
    for name, r in results.items():
        target = "< 1000" if name.startswith("dags/") else "< 300"
        print(f"| {name} | {r['median_ms']} | {r['max_ms']} | {target} ms |")
    emit("parse_time", {"loadavg_start": load_start, "runs": runs, "results": results})
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
