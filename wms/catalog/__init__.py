"""Products per owner, with the customs data a declaration needs, and their lots."""
