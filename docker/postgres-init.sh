#!/bin/sh
# Creates the MLflow backend-store and basic-auth databases beside the app database (the image creates POSTGRES_DB itself).
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "CREATE DATABASE \"${MLFLOW_POSTGRES_DB:-mlflow}\""
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "CREATE DATABASE \"${MLFLOW_AUTH_POSTGRES_DB:-mlflow_auth}\""
