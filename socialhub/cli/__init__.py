"""The command-line front end: parse, call a service, render.

Modules here import only typer, the stdlib and ``socialhub.cli.common`` at the
top; everything else is imported inside commands so ``socialhub --help`` stays
fast and never loads textual, fastapi, apscheduler or anthropic.
"""
