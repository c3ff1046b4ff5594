"""Scanner pages (``/m``): warehouse staff on handheld browsers with scanners."""
