"""Background work on huey: the customs outbox, receipts, webhooks, alerts, deadlines."""
