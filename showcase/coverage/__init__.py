"""Coverage of a portfolio: the maintained rollup, its pages and API."""

from showcase.coverage.rollup import register as _register_rollup

# Importing the package (showcase.models does) is what keeps the rollup maintained.
_register_rollup()
