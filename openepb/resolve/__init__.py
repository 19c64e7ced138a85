"""Stage 5, resolve: decide which spellings are one organization and write the organization tables."""
