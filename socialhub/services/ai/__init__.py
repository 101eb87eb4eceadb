"""AI drafting: generation, voices, hashtags."""
