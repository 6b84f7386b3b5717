"""The store itself: branches, product codes, per-branch stock, the ledger and POS sales."""
