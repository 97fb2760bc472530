"""A generic HTTPS provider: attempts POSTed as signed JSON, results called back signed the same way."""
