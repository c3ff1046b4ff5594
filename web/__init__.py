"""The Flask web layer: thin views that parse input, call a ``wms`` service and render."""
from .app import create_app

__all__ = ["create_app"]
