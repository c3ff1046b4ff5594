"""The odoo-style model toolkit: database, audit, sequences, state machines, errors."""
