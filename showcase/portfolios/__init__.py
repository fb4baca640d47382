"""Apprenticeships: who is party to whose portfolio."""
