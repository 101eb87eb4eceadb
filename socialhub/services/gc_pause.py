"""Python's cyclic garbage collector paused around work that builds many objects and no
cycles (a list of 10,000 post summaries, an imported history file).

With the collector on, every 700 new objects start a collection, and now and then a
full one over every object of the process (SQLAlchemy's included), rescanning what
the work is still building: a tenth to a fifth of such work's CPU time, collecting
nothing. What the work leaves goes to the next collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: New objects between two collections of young ones in a long-running process (Python's
#: default is 700), measured with the publishing bench: docs/performance.md.
YOUNG_COLLECTION_EVERY = 20_000


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic collection inside the block; the collector is back as it was after
    it, also when the block raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def keep_start_up_out_of_collections(young: int = YOUNG_COLLECTION_EVERY) -> None:
    """For a long-running process, once its start-up is done: every object alive now (its
    modules, SQLAlchemy's metadata and caches, the adapters) is left out of all later
    collections (``gc.freeze``), and a collection of young objects starts every
    ``young`` new objects instead of 700 (and of older ones ten times rarer than that).

    The daemon's send threads make objects by the thousand each second, most of them
    gone within the send: at Python's defaults collecting took 0.39 s of the daemon's CPU
    during a 10,000-post run, 0.19 s after (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
