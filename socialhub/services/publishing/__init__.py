"""Publishing: the engine, the delivery cycle (claim, send, reconcile), the queue."""
