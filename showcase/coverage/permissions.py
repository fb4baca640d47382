"""Who sees coverage. No predicates of its own, on purpose.

An apprenticeship's coverage (page, matrix, chart, API) is visible to exactly those who see the
apprenticeship, so its views load it with ``portfolios.loaders.get_apprenticeship_or_404`` and
ask nothing more. The cohort dashboard's rule is in ``showcase.dashboard.permissions``.
"""
