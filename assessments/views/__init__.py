"""Views of the assessments app, one module per sub-domain as in ``services`` and ``selectors``: ``rounds``,
``scoring`` (the self-assessment page), ``appraisal``, ``home``, ``printing`` (print pages and PDFs). Nothing is
re-exported here; ``assessments.urls`` names the modules.
"""
