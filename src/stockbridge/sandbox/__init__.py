"""Marketplace simulators (DESIGN.md section 6).

One sub-package per marketplace (``ebay/``, ``shopify/``), each an ASGI app served over
real HTTP; ``control`` holds what both share: the call log, fault injection and the
``/_sandbox`` control API.
"""
