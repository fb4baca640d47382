"""Standards as data: one YAML file per standard version, a read-only API and grading rules.

Others call ``load_file`` / ``load_text`` / ``bundled_files`` (files), the ``StandardDoc`` API
(schema) and ``grade`` (grading). Nothing here imports Flask or the database.
"""

from showcase.standards.files import (
    StandardFileError,
    bundled_docs,
    bundled_files,
    load_file,
    load_text,
)
from showcase.standards.grading import AssessmentResult, MethodResult, grade
from showcase.standards.schema import (
    Criterion,
    GapNote,
    Method,
    Module,
    Plan,
    StandardDoc,
    Statement,
    Sufficiency,
    Unit,
)

__all__ = [
    "AssessmentResult",
    "Criterion",
    "GapNote",
    "Method",
    "MethodResult",
    "Module",
    "Plan",
    "StandardDoc",
    "StandardFileError",
    "Statement",
    "Sufficiency",
    "Unit",
    "bundled_docs",
    "bundled_files",
    "grade",
    "load_file",
    "load_text",
]
