"""Writes of the assessments app, one module per sub-domain: ``rounds``, ``scoring`` (the unit's
self-assessment), ``evidence``, ``submission``, ``appraisal`` (thẩm định, explanation, publication,
corrections), ``deadlines`` (reminders and auto-lock). Callers import the sub-module or its functions
(``from assessments.services import appraisal``); this package re-exports nothing.
"""
