# The official MLflow image (same version as the native stack, STACK_MLFLOW_VERSION) lacks a PostgreSQL driver.
FROM ghcr.io/mlflow/mlflow:v3.17.2
RUN pip install --no-cache-dir psycopg2-binary==2.9.10
