"""Product traceability and recall: any code to the whole chain, and blocking a lot."""
