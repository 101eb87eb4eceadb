"""The docs and music search stores: importing and querying them."""
