"""Adapters to the world of feeds: feeds.yaml and OPML, fetching, parsing."""
