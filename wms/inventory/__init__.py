"""Warehouses, locations, packages, and stock as a double-entry ledger of moves."""
