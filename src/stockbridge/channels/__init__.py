"""Marketplace adapters: one folder per marketplace behind one protocol (base.py)."""
