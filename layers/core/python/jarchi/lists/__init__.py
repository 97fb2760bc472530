"""Lists as people keep them: the suppression lists (stop list, telecom blacklist, ad opt-out, R-CPL-3) and
the upkeep of contact lists that needs campaign results (cleaning). Above `audiences` and `compliance`,
which may not import each other."""
