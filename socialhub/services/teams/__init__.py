"""Teams: who acts (a member with a role), the members of an organization, its
settings, the approval gate the scheduling use cases and the daemon consult, and
the database logins of members on PostgreSQL (``database_logins``).

A seam like ``context`` and ``audit``: ``Hub`` resolves the actor through
``acting``, and the authoring and publishing contexts ask ``approvals``
whether a post may go on the calendar or out.
"""
