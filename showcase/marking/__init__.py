"""The tutor's marking queue: every pending tag of every learner they tutor, oldest first,
decided inline through the evidence service. It reads evidence, portfolios and standards, so it
sits beside the other cross-cohort pages (assessment, dashboard)."""
