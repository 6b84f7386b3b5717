"""Request and response shapes of the API, named by use (``...Public`` answers, inputs by verb).

Input for the store core that other entry points share (CSV import, CLI) lives in
``stockbridge.pos.schemas`` and ``stockbridge.pos.sales``; what is here is API-only.
"""
