"""Tests serve apps over real HTTP with the sandbox package's own helper."""

from stockbridge.sandbox.serving import serve_in_thread

__all__ = ["serve_in_thread"]
