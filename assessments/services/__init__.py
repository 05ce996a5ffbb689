"""Writes of the assessments app, one module per sub-domain: ``rounds``, ``scoring`` (the unit's
self-assessment), ``evidence``, ``submission``, ``appraisal`` (thẩm định, explanation, publication,
corrections), ``deadlines`` (reminders and auto-lock). Callers import the sub-module or its functions
(``from assessments.services import appraisal``); this package re-exports nothing.

Every service takes the acting user as ``by`` and checks it; workflow steps lock their row
(``select_for_update``), check state and deadline, save, and leave history (django-simple-history, with
the user and a reason). Errors: ``ValidationError`` for bad input, ``PermissionDenied`` for an actor who
may not act, ``InvalidTransition`` for a step the state or a deadline forbids, ``StaleEdit`` for a write
based on an old version, ``Incomplete`` for a submission with missing parts. Nothing is stored when one
is raised.
"""
