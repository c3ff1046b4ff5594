"""The one exception the label package raises for bad input.

Callers (web forms, the API, the CLI) need to know *which* field was wrong so they can
point at it; a bare ValueError from deep inside python-barcode or reportlab would not say.
"""


class LabelDataError(ValueError):
    """Label data that cannot be printed as given; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
