"""Social platform adapters: one module per network, all the same shape (see base.py)."""
