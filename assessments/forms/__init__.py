"""Forms of the assessments app: ``scoring`` (the self-assessment page), ``rounds`` (round create/edit),
``dates`` (dd/mm/yyyy day-first inputs). They only parse input; the services decide. Nothing is re-exported.
"""
