"""Marketplace webhooks: ingestion (limit, verify, log once, acknowledge) and processing."""
