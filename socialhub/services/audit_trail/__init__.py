"""The audit trail as people read it: ``audit list`` (who changed what, filtered) and
``audit verify`` (is every organization chain intact?).

Writing rows stays with the event bus's subscriber (``services/audit.py``); this
context only reads them, with ``Permission.AUDIT_READ``.
"""
