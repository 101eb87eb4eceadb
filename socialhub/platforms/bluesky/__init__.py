"""Bluesky (AT Protocol): app-password sessions on the user's PDS.

Same inner shape as every network: ``spec.py`` (the declaration the registry
lists), ``adapter.py`` (the ``PlatformAdapter``), and helper modules of its own.
"""
