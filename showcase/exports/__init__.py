"""Portable, verifiable exports: a locked showcase, or everything held about an apprentice."""
