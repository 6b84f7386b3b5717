"""Stockbridge: one shop's multi-branch stock, published to online marketplaces."""

__version__ = "0.1.0"
