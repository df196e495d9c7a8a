"""A side-by-side comparison of two wordings, character by character (Chinese has no spaces to
split words at): the left side marks what was removed, the right side what was added."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

SAME = "same"
REMOVED = "removed"
ADDED = "added"


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str  # same | removed | added


def side_by_side(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """(left, right): the old text with its removed parts, the new text with its added parts."""
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(Segment(old[i1:i2], SAME))
            right.append(Segment(new[j1:j2], SAME))
            continue
        if i2 > i1:
            left.append(Segment(old[i1:i2], REMOVED))
        if j2 > j1:
            right.append(Segment(new[j1:j2], ADDED))
    return left, right
