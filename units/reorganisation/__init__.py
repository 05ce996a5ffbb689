"""Reorganisations of units (sắp xếp đơn vị; issue 13 §1): merge, split, rename, move, dissolve.

``services``: the five operations (writes); ``selectors``: which units a day or a round's year has, and a unit's
lineage; ``matcher``: matching the names of a merger table to the units of the previous map; ``loader``: the
shipped events of ``fixtures/reorganisation-2025.json``; ``forms``/``views``/``urls``: the staff pages.
"""
