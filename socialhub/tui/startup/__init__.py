"""The TUI's launch: the helper process that reads the first month while Textual starts.

Like ``socialhub.tui``, this package imports nothing: ``socialhub tui`` starts
the helper (``helper_process``) before anything else loads, and the helper
(``python -m socialhub.tui.startup.first_month``) must not load Textual either.
"""
