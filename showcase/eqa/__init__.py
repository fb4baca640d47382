"""External quality assurance: an assessment organisation's admin grants an outside person
(an external quality assurer or an inspector) read-only access to chosen locked versions for a
limited time. The grant itself lives with submissions (``AccessGrant``), whose read check
consults it; this package holds the granting, the pages and the audit of every page viewed."""
