"""Off-the-job training: the apprentice's log, the tutor's approval, the funding rules as data."""
