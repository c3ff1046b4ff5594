"""Cross-border outbound: orders with the three documents, inventory lists, release, waves,
picking, packing, shipping; B2B export marked apart from general trade."""
