"""Models of the reports app, one module per sub-domain: ``results`` (the PAR Index snapshot of a round's
units), ``province`` (the province's own national results), ``exports`` (export jobs). Django finds models
through ``reports.models``, so this package imports every model class (the app label, table names and
migrations are those of the classes, not of their modules); other names (constants, choices) are imported from
their module.
"""

from .exports import ExportJob
from .province import ProvinceComponentResult, ProvinceResult
from .results import ComponentResult, PendingRecompute, Result

__all__ = [
    "ComponentResult",
    "ExportJob",
    "PendingRecompute",
    "ProvinceComponentResult",
    "ProvinceResult",
    "Result",
]
