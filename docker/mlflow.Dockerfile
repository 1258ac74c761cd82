# The official MLflow image lacks a PostgreSQL driver.
FROM ghcr.io/mlflow/mlflow:v3.5.0
RUN pip install --no-cache-dir psycopg2-binary==2.9.10
