"""Returns centre: return requests, consolidation batches, return declarations (CEB625/626),
inspection and grading, dispositions (restock, exchange, scrap, return to vendor)."""
