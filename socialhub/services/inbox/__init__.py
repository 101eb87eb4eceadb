"""The inbox: comments, mentions, replies, quotes and messages from every account.

``sync`` reads them through the adapters (cursor per account, rate budget),
``items`` lists, shows, archives, assigns and marks them, ``reply`` answers one
through the delivery engine. See ``docs/inbox.md``.
"""
