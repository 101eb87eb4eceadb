"""The calendar in git: fetch a repository, apply its manifests, write back what went out."""
