"""Each platform's text rules for the front ends: measuring, splitting, display names.

A thin door onto ``core.text`` (pure, cheap to import) for the CLI and the TUI.
"""

from __future__ import annotations

from socialhub.core.text import DISPLAY_NAMES, measure, rules_for, split_thread

__all__ = ["DISPLAY_NAMES", "measure", "rules_for", "split_thread"]
