"""Independent end-point assessment: assignment, judgements, grading, quality assurance."""
