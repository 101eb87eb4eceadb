"""YouTube: the Data API v3 with the user's Google Cloud app.

Same inner shape as every network: ``spec.py`` (the declaration the registry
lists), ``adapter.py`` (the ``PlatformAdapter``), and helper modules of its own.
"""
