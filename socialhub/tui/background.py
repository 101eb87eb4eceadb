"""Running service calls off the UI thread, with errors turned into notifications."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.dom import DOMNode
from textual.worker import Worker

if TYPE_CHECKING:
    from socialhub.tui.host import HubApp

T = TypeVar("T")


def run_service(node: DOMNode, fn: Callable[..., T], *args: Any,
                then: Callable[[T], object] | None = None,
                failed: Callable[[], object] | None = None, **kwargs: Any) -> Worker[None]:
    """Call the use case ``fn(ctx, *args, **kwargs)`` in a thread worker owned by ``node``.

    ``then(result)`` runs on the UI thread after the transaction commits; any
    error rolls the transaction back and becomes a notification (and ``failed()``).
    """
    app = cast("HubApp", node.app)

    def job() -> None:
        try:
            result = app.call_service(fn, *args, **kwargs)
        except Exception as exc:
            app.call_from_thread(app.report, exc)
            if failed is not None:
                app.call_from_thread(failed)
            return
        if then is not None:
            app.call_from_thread(then, result)

    return node.run_worker(job, thread=True, group=getattr(fn, "__name__", "service"),
                           exit_on_error=False)
