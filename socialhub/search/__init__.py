"""Local search: the docs and music libraries in SQLite FTS5 sidecar files.

``sidecar`` opens the files, ``fts`` makes user queries safe, ``docs_*`` and
``music_*`` hold each library's store and importer, ``music_query`` the
beets-like query language, and ``api`` the HTTP app the daemon mounts.
"""
