-- Run once by the postgres image on an empty volume (infra/docker-compose.yml): the database that
-- holds the warehouse's DuckLake catalog, beside Prefect's own.
CREATE DATABASE lake;
