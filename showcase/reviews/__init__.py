"""Progress reviews at the standard's review points: notes, actions, sign-off, frozen snapshot."""
