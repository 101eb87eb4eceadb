"""Accounts: adding and removing them, connecting, credentials, tokens, the key."""
