"""The adapter for the local sandbox network (its server is ``socialhub.sandbox_network``).

Same inner shape as every network: ``spec.py`` (the declaration the registry
lists), ``adapter.py`` (the ``PlatformAdapter``), and helper modules of its own.
"""
