"""Pages of the assessments app: scoring (see assessments/urls.py)."""

urlpatterns: list = []
