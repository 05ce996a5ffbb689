"""The province's own national PAR Index results (shared/DESIGN.md §8; issue 6 items 5, 7): ``forms``,
``selectors`` (the province page, bands, unit targets), ``services`` (create, edit, import, the documented
figures), ``views``, ``workbook`` (the import template and its reader). Nothing is re-exported here.
"""
