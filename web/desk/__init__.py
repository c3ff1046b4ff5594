"""Desk pages: supervisors, customs clerks, the returns desk and enterprises at a desk."""
