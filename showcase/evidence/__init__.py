"""Evidence: stored files, their descriptions, and tags against a standard's units."""
