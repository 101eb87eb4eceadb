"""Social platform adapters: one sub-package per network, all the same shape.

Each network is declared in its ``spec.py`` and registered by one line in
``registry.py``; adapters implement ``base.py``.
"""
