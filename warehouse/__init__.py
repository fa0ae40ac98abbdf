"""The warehouse — a DuckDB file or a DuckLake catalog: versioned schema, idempotent loads, state stored
with the data."""

from pressroom.warehouse.db import SCHEMA_VERSION, Warehouse, WarehouseBusy, WarehouseConflict, WarehouseError

__all__ = ["SCHEMA_VERSION", "Warehouse", "WarehouseBusy", "WarehouseConflict", "WarehouseError"]
