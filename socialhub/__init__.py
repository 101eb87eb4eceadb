"""socialhub: a self-hosted social media hub that lives in the terminal."""

__version__ = "0.1.0"
