"""Bonded inbound: receipts (ASN), gate-in, tally, entry declaration, customs decision, putaway."""
