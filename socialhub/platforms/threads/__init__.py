"""Threads: Meta's Threads API (shared Graph code in ``platforms.meta``).

Same inner shape as every network: ``spec.py`` (the declaration the registry
lists), ``adapter.py`` (the ``PlatformAdapter``), and helper modules of its own.
"""
