"""Reports people read and systems consume (R-REP): exports, webhooks, the recipient timeline."""
