"""The gateway and the apprentice's showcase submission: chosen, signed off, locked, verified."""
