"""Users, their roles and allowed owners, and API tokens for machines."""
