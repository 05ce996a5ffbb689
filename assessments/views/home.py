"""Pages of the assessments app: home (see assessments/urls.py)."""

urlpatterns: list = []
