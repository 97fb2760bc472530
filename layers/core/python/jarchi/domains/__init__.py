"""Reseller white-label domains (R-ACC-6)."""
