"""Teams: members, roles, approvals, and their isolation in the database."""
