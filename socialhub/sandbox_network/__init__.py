"""The sandbox network: a real local HTTP service that behaves like a social network.

``world`` holds its state and rules, ``server`` serves them over HTTP. It serves the
demo, the benchmarks and the chaos tests; the adapter that talks to it is an
ordinary adapter, ``socialhub.platforms.sandbox``.
"""
