"""DAGs as the API server sees them: serialized by the DAG processor, stored, read back."""

from __future__ import annotations

import json


def stored(dag):
    """The DAG as the API server reads it: serialized by the DAG processor, stored as sorted JSON in
    the metadata DB, deserialized by ``SerializedDagModel.dag``."""
    from airflow.serialization.serialized_objects import DagSerialization, LazyDeserializedDAG

    data = LazyDeserializedDAG(data=DagSerialization.to_dict(dag)).data
    return DagSerialization.from_dict(json.loads(json.dumps(data, sort_keys=True)))
