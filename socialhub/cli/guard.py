"""How every front-end call ends: a socialhub error is one stderr line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run_guarded(call: Callable[[], object], *, debug: Callable[[], bool] | bool) -> None:
    """Run ``call``; map errors to ``error: …`` on stderr and the matching exit code.

    ``debug`` (or a function answering it once the call has parsed its
    options) shows tracebacks instead. Secrets are redacted from messages.
    """
    from socialhub.errors import SocialhubError

    def redact(text: str) -> str:
        # Deferred: its patterns (and logging) cost --help a tenth of its time; errors only.
        from socialhub.services.ops.redaction import redact as scrub
        from socialhub.services.terminal_text import printable

        return printable(scrub(text))

    def debugging() -> bool:
        return debug() if callable(debug) else debug

    try:
        call()
    except SocialhubError as exc:
        if debugging():
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"error: {redact(str(exc))}\n")
        sys.exit(int(exc.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug: keep the message short unless --debug
        if debugging():
            raise
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {redact(str(exc))} "
                         "(run with --debug for the traceback)\n")
        sys.exit(1)
