"""The long-running daemon: ``socialhub daemon run`` (publishing, tokens, metrics, HTTP)."""
