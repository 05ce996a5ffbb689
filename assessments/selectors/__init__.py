"""Reads of the assessments app, one module per sub-domain, mirroring ``services``: ``rounds``,
``scoring`` (the self-assessment sheet), ``appraisal`` (queues, parts, overview) and ``home`` (the role home
pages). Callers import the sub-module or its functions; this package re-exports nothing.
"""
