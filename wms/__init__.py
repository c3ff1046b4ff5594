"""The warehouse domain: models and services for a bonded / overseas WMS.

This package never imports Flask: the web layer and the command line call into it.
"""
