"""Experiments (A/B tests of a post's texts), their verdicts, and the campaign report."""
