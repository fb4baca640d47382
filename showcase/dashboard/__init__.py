"""The cohort dashboard: coverage, gaps, reviews due and time to gateway for everyone a user
supports. It reads coverage and the review schedule, so it sits above both."""
