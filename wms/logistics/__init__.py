"""Shipping identifiers and carriers: what leaves the warehouse and how it is tracked."""
