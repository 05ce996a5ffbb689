"""Signals of the assessments app: how it tells the apps built on it (``reports``, the results) what they
must know, without importing them — the dependency runs one way: reports imports assessments, never the
reverse. ``reports`` connects its receivers in ``ReportsConfig.ready()`` (``reports.receivers``).

``scores_changed(round_id, assessment_id=None)``: scores that count changed (a save, an import, a state
change, publication): the results must be recomputed once the transaction commits — of ``assessment_id``
(and its round's grades and ranks) when given, of the whole round otherwise. Sent by
``services.appraisal`` and by ``surveys.services``.

``results_due(round)``: compute the round's results now (the demo data of a published round); each receiver
returns the number of results written.

``result_wanted(assessment, user)``: the results snapshot of ``assessment`` (with its components) that
``user`` may read — ``user=None``: whatever is stored —, or None; asked by the appraised score sheet
(``assessments.exports``), which shows the component indices and the PAR Index.
"""

from django.dispatch import Signal

scores_changed = Signal()
results_due = Signal()
result_wanted = Signal()


def recompute_later(round_id: int, assessment_id: int | None = None) -> None:
    """Send ``scores_changed`` (see above)."""
    scores_changed.send(sender=None, round_id=round_id, assessment_id=assessment_id)


def results_now(round) -> int:
    """Send ``results_due`` for ``round``; the number of results the receivers wrote."""
    return sum(n or 0 for _, n in results_due.send(sender=None, round=round))


def result_of(assessment, user=None):
    """Send ``result_wanted``: the first result a receiver gives, else None."""
    return next(
        (r for _, r in result_wanted.send(sender=None, assessment=assessment, user=user) if r is not None),
        None,
    )
