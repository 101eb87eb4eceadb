"""The TUI's screens: calendar, editor, queue, accounts, help and the yes/no modal.

Each module holds one ``Screen`` or ``ModalScreen``. Screens reach the app
through ``tui/host.py`` (``HubApp``), never ``tui/app.py``; they build on the
widgets in ``tui/widgets/``.
"""
