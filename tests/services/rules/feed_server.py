"""A real RSS feed on loopback whose entries a test adds as it goes (with ETag support)."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape


class FeedServer:
    """Serves ``/feed.xml`` (RSS 2.0): the entries added so far, newest first; counts GETs."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, datetime]] = []
        self.requests = 0
        self.not_modified = 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests += 1
                body = feed.xml().encode()
                tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == tag:
                    feed.not_modified += 1
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", tag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed.xml"

    def add(self, title: str) -> str:
        """Publish an entry; returns its link."""
        n = len(self.entries) + 1
        link = f"https://blog.example/posts/{n}"
        self.entries.append((title, link, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)))
        return link

    def xml(self) -> str:
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
            f"<guid>{escape(link)}</guid><pubDate>{format_datetime(at)}</pubDate>"
            f"<description>About {escape(t)}</description></item>"
            for t, link, at in reversed(self.entries))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Example blog'
                f"</title><link>https://blog.example/</link><description>d</description>"
                f"{items}</channel></rss>")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
