from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Kết quả"

    def ready(self):
        """Hear the assessments app's signals (``assessments.signals``; reports depends on assessments, never
        the reverse)."""
        from assessments import signals

        from . import receivers

        signals.scores_changed.connect(receivers.scores_changed, dispatch_uid="reports.scores_changed")
        signals.results_due.connect(receivers.results_due, dispatch_uid="reports.results_due")
        signals.result_wanted.connect(receivers.result_wanted, dispatch_uid="reports.result_wanted")
