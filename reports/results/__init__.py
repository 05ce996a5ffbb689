"""The units' results of a round (issue 6): ``services`` — the one PAR Index computation and its snapshot,
recomputed after commit when scores change (``reports.receivers`` connects it to ``assessments.signals``);
``selectors`` — rankings, a unit's result, weak criteria, visibility; ``views`` — the results pages and the
printable rankings. Callers import the sub-module or its functions; nothing is re-exported here.
"""
