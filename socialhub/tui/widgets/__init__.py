"""The pieces the TUI's screens are built from.

The month grid and the week view, the agenda panel, the editor's per-network
tab, the compact footer and the editor's docs commands for the palette. They
import no screen.
"""
