"""Airflow operators of the pipeline; heavy imports happen inside ``execute()``."""
