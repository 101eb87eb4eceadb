"""Mastodon: OAuth with an app registered on the user's instance.

Same inner shape as every network: ``spec.py`` (the declaration the registry
lists), ``adapter.py`` (the ``PlatformAdapter``), and helper modules of its own.
"""
