"""Coverage of a portfolio: the maintained rollup, its pages and API."""

from showcase.coverage.days import register as _register_days
from showcase.coverage.rollup import register as _register_rollup

# Importing the package (showcase.models does) is what keeps the rollup maintained, and drops
# the stored forecast days of an apprenticeship whose past an edit changes.
_register_rollup()
_register_days()
