"""The DuckDB warehouse: versioned schema, idempotent loads, state stored with the data."""

from pressroom.warehouse.db import SCHEMA_VERSION, Warehouse, WarehouseBusy, WarehouseError

__all__ = ["SCHEMA_VERSION", "Warehouse", "WarehouseBusy", "WarehouseError"]
