"""Analytics: collecting metrics, importing history, and the reads people look at
(overview, posts, top, compare, accounts, best times, gaps). See docs/analytics.md."""
