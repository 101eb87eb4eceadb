"""Running socialhub: doctor, demo, metrics, daemon status, logging, the database."""
