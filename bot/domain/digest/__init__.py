"""Digests, the pure part: what a digest says, about what, and when it posts.

- ``compose``: candidate items in, a ``Digest`` value out (stories, sections, stance changes,
  overflow, counts), with what the ledger records for each item;
- ``text``: clean titles and extractive summaries that skip page furniture;
- ``topics``: laws, companies and jurisdictions a subscription is about;
- ``cadence``: daily, weekdays or weekly at a local time, and timezone names;
- ``codec``: a composed digest as JSON, so an interrupted run resumes with the same messages.
"""
