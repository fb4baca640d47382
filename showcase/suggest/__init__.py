"""Suggested units for a piece of evidence: text extraction and ranking, explained."""
