"""Read-only operations pages (breakers, today's skips, recent runs) served inside the Airflow API server.

The FastAPI app lives in :mod:`nba_pipeline.ui.app`; nothing is imported here so that loading the
plugin stays cheap in processes that never serve it (scheduler, workers, DAG processor).
"""
