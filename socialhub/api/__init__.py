"""The REST API front end (``/api/v1``, docs/api.md): FastAPI routes over the use cases.

Like the CLI it only parses, calls a service and renders: authentication
(``services.access.tokens``), idempotency keys and rate limits are use-case
helpers in ``services.access``; this package adds transport, the Problem+JSON
error shape and the OpenAPI schemas. The daemon mounts it (``daemon.http``).
"""
