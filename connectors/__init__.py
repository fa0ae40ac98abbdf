"""Connectors: discover, fetch and parse press releases from ministries' websites.

A connector kind separates ``discover(window)`` (which pages exist), ``fetch(listing)`` (network I/O)
and a pure ``parse(raw)`` so that every parser runs on saved pages.
"""
