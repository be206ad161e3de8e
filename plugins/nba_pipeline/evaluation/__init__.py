"""Prediction quality judged against the simulation's truth (``nba-pipeline evaluate``).

Only the evaluation reads the truth, the simulated league's expected points: nothing in features,
predictions or processors imports this package or the simulation's expectations
(``tests/integrity/test_layers.py``), so the truth is never a feature or a training target.
"""

from nba_pipeline.evaluation.data import GradedPrediction, TruthLookup, read_graded, simulated_truth
from nba_pipeline.evaluation.report import Entry, Evaluation, evaluate, evaluate_rows, render_json, render_table

__all__ = [
    "Entry",
    "Evaluation",
    "GradedPrediction",
    "TruthLookup",
    "evaluate",
    "evaluate_rows",
    "read_graded",
    "render_json",
    "render_table",
    "simulated_truth",
]
