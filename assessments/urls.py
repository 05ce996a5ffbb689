"""URLs of rounds and self-assessments. Each views module owns its routes (``urlpatterns``) so the
round pages, the unit's home and the scoring page stay separate files."""

from .views import appraisal, home, printing, rounds, scoring

app_name = "assessments"
urlpatterns = (
    home.urlpatterns + rounds.urlpatterns + scoring.urlpatterns + appraisal.urlpatterns + printing.urlpatterns
)
