"""The local search HTTP API (FastAPI): docs search and writes, music search, health.

``create_app(config)`` is what ``socialhub search serve`` runs and what the
daemon mounts. Every error, whatever raised it (a bad query, a missing
field, a wrong token, an unknown route, a locked sidecar), has one JSON
shape: ``{"error": {"code", "message", "detail"}}``. Writes to the docs
library go through this API (or the CLI) so the FTS triggers keep the index
consistent; other tools on the machine should not write the file directly.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from socialhub import __version__
from socialhub.config import LoadedConfig
from socialhub.errors import (
    ConflictError,
    DatabaseError,
    NotFoundError,
    SocialhubError,
    ValidationError,
)
from socialhub.search.bounds import MAX_LIMIT, MAX_OFFSET
from socialhub.search.docs_store import DocInput, DocsStore
from socialhub.search.fts import QueryError, error_body
from socialhub.search.guard import AUTHENTICATED, HttpGuard
from socialhub.search.music_store import MusicStore

log = logging.getLogger(__name__)


class ErrorInfo(BaseModel):
    code: str = Field(examples=["bad_query"])
    message: str
    detail: Any = None


class ErrorOut(BaseModel):
    """The one error shape of this API."""

    error: ErrorInfo


#: Longest query string accepted (characters); longer is a 422.
MAX_QUERY_CHARS = 1000
#: Largest row id a path accepts: SQLite's INTEGER range.
MAX_ID = 2**63 - 1


class DocCreate(BaseModel):
    title: str = Field(min_length=1, max_length=1000)
    body: str
    tags: list[str] = Field(default_factory=list, max_length=100)
    source: str | None = Field(None, max_length=4096)


class DocOut(BaseModel):
    id: int
    title: str
    body: str
    tags: list[str]
    source: str | None
    content_hash: str | None
    created_at: str
    updated_at: str


class DocHitOut(BaseModel):
    id: int
    title: str
    source: str | None
    tags: list[str]
    snippet: str = Field(description="Body excerpt; matches wrapped in <mark>…</mark>")
    score: float = Field(description="bm25 relevance, higher is better")


class SearchOut(BaseModel):
    query: str
    mode: Literal["plain", "raw"]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Offset of the next page; null on the last")
    results: list[DocHitOut]


class TrackOut(BaseModel):
    id: int
    path: str
    format: str
    size: int
    mtime_ns: int
    title: str | None
    artist: str | None
    album: str | None
    albumartist: str | None
    genre: str | None
    composer: str | None
    comment: str | None
    date: str | None
    year: int | None
    track: int | None
    tracktotal: int | None
    disc: int | None
    disctotal: int | None
    bpm: float | None
    duration: float | None
    bitrate: int | None = Field(description="kbit/s")
    samplerate: int | None
    channels: int | None
    added_at: str
    updated_at: str


class TrackPageOut(BaseModel):
    query: str
    limit: int
    offset: int
    next_offset: int | None
    results: list[TrackOut]


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    docs: int
    tracks: int


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed query"},
    401: {"model": ErrorOut, "description": "Missing or wrong bearer token"},
    413: {"model": ErrorOut, "description": "The request body is over the size limit"},
    422: {"model": ErrorOut, "description": "A required field is missing or invalid"},
    503: {"model": ErrorOut, "description": "A sidecar is locked or corrupted"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such record"}}

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
                 422: "invalid_request", 503: "unavailable"}


def _json_bytes(data: Any) -> bytes:
    # Plain json.dumps: the data is already JSON-shaped, and re-validating it
    # through pydantic on every hit would double the cost of a fast query.
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _json(data: Any, status: int = 200) -> Response:
    return Response(_json_bytes(data), status_code=status, media_type="application/json")


def _error(status: int, code: str, message: str, detail: Any = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, detail), status_code=status, headers=headers)


def _socialhub_error_response(exc: SocialhubError) -> JSONResponse:
    status, code = _status_for(exc)
    return _error(status, code, str(exc), getattr(exc, "detail", None))


def _status_for(exc: SocialhubError) -> tuple[int, str]:
    if isinstance(exc, QueryError):
        return 400, QueryError.code
    if isinstance(exc, NotFoundError):
        return 404, "not_found"
    if isinstance(exc, ValidationError):
        return 400, "invalid"
    if isinstance(exc, ConflictError):
        return 409, "conflict"
    if isinstance(exc, DatabaseError):
        return 503, "database_unavailable"
    return 500, "internal"


class _Stores:
    """The two sidecars, opened on first use so a broken one fails only its routes."""

    def __init__(self, config: LoadedConfig) -> None:
        self.config = config
        self._docs: DocsStore | None = None
        self._music: MusicStore | None = None
        self._lock = threading.Lock()  # requests run in a thread pool; open each store once

    @property
    def docs(self) -> DocsStore:
        with self._lock:
            return self._open_docs()

    def _open_docs(self) -> DocsStore:
        if self._docs is None:
            store = DocsStore(self.config.docs_path,
                              busy_timeout_ms=self.config.settings.database.busy_timeout_ms)
            store.pool.get()  # open now: a corrupted file fails here, with its name
            self._docs = store
        return self._docs

    @property
    def music(self) -> MusicStore:
        with self._lock:
            return self._open_music()

    def _open_music(self) -> MusicStore:
        if self._music is None:
            store = MusicStore(self.config.music_path,
                               busy_timeout_ms=self.config.settings.database.busy_timeout_ms)
            store.pool.get()
            self._music = store
        return self._music

    def close(self) -> None:
        for store in (self._docs, self._music):
            if store is not None:
                store.close()


_bearer = HTTPBearer(auto_error=False, description="search.token from the configuration")


async def _require_token(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    # async: it never blocks, and a plain def would cost every request a trip through the
    # thread pool (~0.1 ms, a sixth of a fast search's time in the API).
    # request.app is this app even when the daemon mounts it under its own.
    token: bytes | None = request.app.state.search_token
    if token is None:
        return
    given = creds.credentials.encode() if creds is not None else b""
    if not hmac.compare_digest(given, token):
        raise StarletteHTTPException(401, "a valid bearer token is required",
                                     headers={"WWW-Authenticate": "Bearer"})


#: The /search parameters the fast path reads, with their bounds; any other name is
#: ignored, as FastAPI ignores it.
_INT_PARAMS = {"limit": MAX_LIMIT, "offset": MAX_OFFSET}
_MIN_INT = {"limit": 1, "offset": 0}
_JSON_HEADERS = ((b"content-type", b"application/json"),)


def _plain_search_args(query_string: bytes) -> dict[str, Any] | None:
    """The arguments of a ``GET /search`` that FastAPI would accept exactly as written.

    None whenever there is anything to decide (a missing or overlong ``q``, a
    number with a sign, spaces or leading zeros, one out of bounds, an unknown
    ``mode``, a name given twice): such a request takes the FastAPI route,
    which answers it, or refuses it, as it always has.
    """
    # The same decoding as Starlette's request.query_params.
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    args: dict[str, Any] = {"limit": 20, "offset": 0, "mode": "plain"}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            return None
        seen.add(name)
        if name == "q":
            if len(value) > MAX_QUERY_CHARS:
                return None
            args["q"] = value
        elif name in _INT_PARAMS:
            if not value.isdigit() or not value.isascii() or (value[0] == "0" and value != "0") \
                    or len(value) > 9:
                return None
            number = int(value)
            if not _MIN_INT[name] <= number <= _INT_PARAMS[name]:
                return None
            args[name] = number
        elif name == "mode":
            if value not in ("plain", "raw"):
                return None
            args["mode"] = value
    return args if "q" in args else None


def _has_exact_token(scope: Scope, token: bytes) -> bool:
    """One ``Authorization: Bearer <token>`` header, byte for byte: both checks pass it."""
    given = [value for name, value in scope.get("headers", ()) if name == b"authorization"]
    return len(given) == 1 and hmac.compare_digest(bytes(given[0]), b"Bearer " + token)


class _FastSearch:
    """``GET /search`` without FastAPI's routing, dependency and validation layers.

    A search is the API's hot path, and on a rare word the query takes about
    a millisecond while FastAPI's layers took about as much again. This ASGI
    middleware answers the requests FastAPI would accept as they are
    (:func:`_plain_search_args`, and the exact bearer token when one is set)
    with the same store call, the same JSON bytes and headers, and the same
    error bodies; every other request, and every other route, goes on to
    FastAPI unchanged. The query still runs in the thread pool, off the event
    loop. It sits inside :class:`HttpGuard`, so the guard's token and body
    checks run first, and inside FastAPI's server-error middleware, so an
    unexpected exception becomes the same logged 500.
    """

    def __init__(self, app: ASGIApp, *, stores: _Stores) -> None:
        self.app = app
        self.stores = stores

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a plain search here; pass anything else to the wrapped app."""
        if scope["type"] == "http" and scope["method"] == "GET" \
                and get_route_path(scope) == "/search":
            args = _plain_search_args(scope.get("query_string", b""))
            app = scope.get("app")  # this FastAPI app: Starlette sets it before any middleware
            if args is not None and app is not None:
                token: bytes | None = app.state.search_token
                if token is None or _has_exact_token(scope, token):
                    await self._search(args, send)
                    return
        await self.app(scope, receive, send)

    async def _search(self, args: dict[str, Any], send: Send) -> None:
        stores = self.stores

        def run() -> bytes:
            return _json_bytes(stores.docs.search(
                args["q"], limit=args["limit"], offset=args["offset"], mode=args["mode"],
            ).to_dict())

        try:
            body = await run_in_threadpool(run)
        except SocialhubError as exc:
            error = _socialhub_error_response(exc)
            status, headers, body = error.status_code, error.raw_headers, bytes(error.body)
        else:
            status = 200
            headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_FROM_CONFIG: Any = object()


def _config_token(config: LoadedConfig) -> str | None:
    secret = config.settings.search.token
    raw = secret.get_secret_value().strip() if secret is not None else ""
    if raw.startswith(("env:", "keyring:")):
        from socialhub.security.references import resolve_reference

        raw = resolve_reference(config, raw, what="search.token")
    return raw or None


def create_app(config: LoadedConfig, *, token: str | None = _FROM_CONFIG,
               max_body_bytes: int | None = None,
               limit_key: str = "search.max_body_bytes") -> FastAPI:
    """Build the search API for ``config``'s sidecars and token.

    With a bearer token (``token``, else ``search.token``), every route
    except ``/healthz`` needs it, the OpenAPI documents included; ``/healthz``
    then tells a caller without it only whether the API is up. A request
    body over ``max_body_bytes`` (default ``search.max_body_bytes``) is a 413.

    Raises:
        ConfigError: ``search.token`` is a reference that does not resolve.
    """
    stores = _Stores(config)
    if token is _FROM_CONFIG:
        token = _config_token(config)
    limit = config.settings.search.max_body_bytes if max_body_bytes is None else max_body_bytes

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        stores.close()

    # /docs is the documents resource here, so the Swagger UI moves to /swagger.
    app = FastAPI(title="socialhub local search", version=__version__, lifespan=lifespan,
                  docs_url="/swagger", redoc_url=None,
                  description="Search the docs and music libraries kept by socialhub. "
                              "Errors always have the shape "
                              '`{"error": {"code", "message", "detail"}}`.')
    app.state.stores = stores
    app.state.search_token = token.encode() if token else None
    # Added first, so it runs inside the guard (the last added middleware is the outermost).
    app.add_middleware(_FastSearch, stores=stores)
    app.add_middleware(HttpGuard, token=token, max_body_bytes=limit, limit_key=limit_key)
    auth = [Depends(_require_token)]
    _install_error_handlers(app)

    @app.get("/healthz", response_model=HealthOut, responses=_ERRORS, tags=["health"])
    def healthz(request: Request) -> Response:
        """Report that the API runs and both sidecars open (only "ok" without the token)."""
        if not request.scope.get("state", {}).get(AUTHENTICATED, True):
            return _json({"status": "ok"})
        return _json({"status": "ok", "version": __version__, "docs": stores.docs.count(),
                      "tracks": stores.music.count()})

    @app.get("/search", response_model=SearchOut, responses=_ERRORS, dependencies=auth,
             tags=["docs"])
    def search_docs(
        q: Annotated[str, Query(description="Words to find (all must match)",
                                max_length=MAX_QUERY_CHARS)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        mode: Annotated[Literal["plain", "raw"], Query(
            description="plain: words are literal; raw: FTS5 syntax (phrases, NEAR, prefix*)",
        )] = "plain",
    ) -> Response:
        """Search the docs library, best match first (bm25; title above body)."""
        return _json(stores.docs.search(q, limit=limit, offset=offset, mode=mode).to_dict())

    @app.post("/docs", response_model=DocOut, status_code=201,
              responses=_ERRORS, dependencies=auth, tags=["docs"])
    def add_doc(doc: DocCreate) -> Response:
        """Add a document; it is searchable as soon as this returns."""
        created = stores.docs.add(DocInput(doc.title, doc.body, doc.tags, doc.source))
        return _json(created.to_dict(), 201)

    @app.get("/docs/{doc_id}", response_model=DocOut, responses={**_ERRORS, **_NOT_FOUND},
             dependencies=auth, tags=["docs"])
    def get_doc(doc_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
        """Return one document."""
        return _json(stores.docs.get(doc_id).to_dict())

    @app.delete("/docs/{doc_id}", status_code=204, responses={**_ERRORS, **_NOT_FOUND},
                dependencies=auth, tags=["docs"])
    def delete_doc(doc_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
        """Delete one document (and its index entries)."""
        stores.docs.remove(doc_id)
        return Response(status_code=204)

    @app.get("/music/search", response_model=TrackPageOut, responses=_ERRORS,
             dependencies=auth, tags=["music"])
    def search_music(
        q: Annotated[str, Query(description='beets-like: words, field:value, artist:"a b", '
                                            "year:1990..1999, -genre:jazz, year-",
                                max_length=MAX_QUERY_CHARS)] = "",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> Response:
        """Search the music library with the beets-like query language."""
        return _json(stores.music.search(q, limit=limit, offset=offset).to_dict())

    @app.get("/music/track/{track_id}", response_model=TrackOut,
             responses={**_ERRORS, **_NOT_FOUND}, dependencies=auth, tags=["music"])
    def get_track(track_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
        """Return one track's tags and stream facts."""
        return _json(stores.music.get(track_id).to_dict())

    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SocialhubError)
    async def socialhub_error(_: Request, exc: SocialhubError) -> JSONResponse:
        return _socialhub_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ())]
            name = ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc)
            problems.append({"field": name, "in": loc[0] if loc else None,
                             "message": e.get("msg", "invalid")})
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        message = (f"missing field '{first['field']}'" if "required" in first["message"].lower()
                   else f"invalid field '{first['field']}': {first['message']}")
        return _error(422, "invalid_request", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return _error(exc.status_code, code, str(exc.detail), None,
                      dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("search API bug: %s", type(exc).__name__, exc_info=exc)
        return _error(500, "internal", "internal error; see the server log")
