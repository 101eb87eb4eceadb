"""Workflow rules: triggers on the inbox, conditions, actions (docs/rules.md)."""
