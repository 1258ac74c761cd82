# The official MLflow image (same version as the native stack, STACK_MLFLOW_VERSION) lacks a PostgreSQL driver
# and Flask-WTF, which the basic-auth app needs (the mlflow[auth] extra).
FROM ghcr.io/mlflow/mlflow:v3.17.2
RUN pip install --no-cache-dir psycopg2-binary==2.9.10 'Flask-WTF<2'
