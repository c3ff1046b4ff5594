"""The app's ``wms.settings.Settings``: built from the environment once per app, with the
app's own ``CEB_XSD_DIR`` (from its config, as tests and ``create_app(config)`` set it)."""
from __future__ import annotations

from flask import current_app

from wms.settings import Settings


def settings() -> Settings:
    base = current_app.extensions.get("wms.settings")
    if base is None:
        base = current_app.extensions["wms.settings"] = Settings.from_env()
    return base.with_xsd_dir(current_app.config.get("CEB_XSD_DIR"))
