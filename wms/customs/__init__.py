"""Customs: code tables, rules (limits, tax, deadlines), CEB messages."""
