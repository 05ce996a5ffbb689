"""Pages of the assessments app: rounds (see assessments/urls.py)."""

urlpatterns: list = []
