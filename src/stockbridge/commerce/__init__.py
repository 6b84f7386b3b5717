"""Marketplace-facing business logic, provider-agnostic: listings, orders, returns."""
