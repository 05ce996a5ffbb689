"""Matching the former communes a merger table names to the communes of the map before it (issue 13 §3).

A resolution lists each new commune's former communes by name ("Phường 1 (thị xã Ngã Năm), Xã Vĩnh Quới");
the map before lists them by district with their official codes. ``match_names`` finds each name's commune:

1. **exact**: the name (without its parenthesis) equals a commune's name; a parenthesis names the former district
   or town ("(thị xã Ngã Năm)", "(huyện Châu Thành)") and keeps only that district's communes;
2. **normalised**: the same after ``normalise`` (case, spacing, Unicode form, a trailing Roman numeral "II" ↔ "2");
3. otherwise — no commune, or several equally good — the name is **reported** (``MatchReport.unmatched`` /
   ``ambiguous``), never guessed.

It reads no file: ``manage.py build_reorganisation_fixture`` feeds it the shipped tables (fixtures/src/) and
writes its result into fixtures/reorganisation-2025.json, so ``setup_portal`` never matches at run time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_PAREN = re.compile(r"^(?P<base>.*?)\s*\((?P<hint>[^)]*)\)\s*$")


@dataclass(frozen=True)
class Commune:
    """A commune of the map before: official ``code``, ``name`` as published, its district's name."""

    code: str
    name: str
    district: str


@dataclass
class MatchReport:
    """``matched``: {name as written: commune}; ``how``: {name: "exact" | "normalised"}; ``unmatched``: names with
    no commune; ``ambiguous``: {name: the communes it could be}. ``ok`` when nothing is left unresolved."""

    matched: dict[str, Commune] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[Commune]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.unmatched and not self.ambiguous

    def problems(self) -> list[str]:
        """One Vietnamese line per unresolved name."""
        lines = [
            f"Không tìm thấy xã, phường, thị trấn «{n}» trong danh sách trước sắp xếp."
            for n in self.unmatched
        ]
        lines += [
            f"«{n}» có thể là nhiều đơn vị ({', '.join(f'{c.name} – {c.district}' for c in cs)}): cần ghi rõ."
            for n, cs in self.ambiguous.items()
        ]
        return lines


def normalise(name: str) -> str:
    """``name`` compared loosely: NFC, lower case, single spaces, a trailing Roman numeral as a digit
    ("Xã Hòa Tú II" → "xã hòa tú 2")."""
    words = unicodedata.normalize("NFC", name).lower().split()
    if words and words[-1] in _ROMAN:
        words[-1] = _ROMAN[words[-1]]
    return " ".join(words)


def split_hint(name: str) -> tuple[str, str]:
    """(name without its trailing parenthesis, the parenthesis' text or "")."""
    m = _PAREN.match(name.strip())
    return (m["base"].strip(), m["hint"].strip()) if m else (name.strip(), "")


def match_name(name: str, communes: Iterable[Commune]) -> tuple[str, list[Commune]]:
    """(how, candidates) for one ``name``: how is "exact" or "normalised" with exactly one candidate when matched;
    "" with the candidates found (none, or several) when not."""
    base, hint = split_hint(name)
    pool = list(communes)
    if hint:
        pool = [c for c in pool if normalise(c.district) == normalise(hint)]
    exact = [c for c in pool if c.name == base]
    if len(exact) == 1:
        return "exact", exact
    if exact:
        return "", exact
    loose = [c for c in pool if normalise(c.name) == normalise(base)]
    return ("normalised", loose) if len(loose) == 1 else ("", loose)


def match_names(names: Iterable[str], communes: Iterable[Commune]) -> MatchReport:
    """Match every one of ``names`` to ``communes`` (see the module docstring); a ``MatchReport``."""
    communes = list(communes)
    report = MatchReport()
    for name in names:
        how, found = match_name(name, communes)
        if how:
            report.matched[name] = found[0]
            report.how[name] = how
        elif found:
            report.ambiguous[name] = found
        else:
            report.unmatched.append(name)
    return report
