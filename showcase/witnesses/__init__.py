"""Witness testimony: a named person asked for a signed statement through a one-time link."""
