"""Measure how far two head poses are apart, for the comparisons with the vendor."""

from __future__ import annotations

import math
from collections.abc import Sequence

Matrix = Sequence[Sequence[float]]


def translation_error(a: Matrix, b: Matrix) -> float:
    """Return the distance between the origins of two transforms (m)."""
    return math.dist([a[i][3] for i in range(3)], [b[i][3] for i in range(3)])


def rotation_error(a: Matrix, b: Matrix) -> float:
    """Return the angle of the rotation between two transforms (rad), exact for small angles."""
    # D = Aᵀ·B; its antisymmetric part is sin(angle) times the axis, its trace 1 + 2·cos(angle).
    d = [[sum(a[k][i] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]
    s = math.hypot(d[2][1] - d[1][2], d[0][2] - d[2][0], d[1][0] - d[0][1]) / 2
    c = (d[0][0] + d[1][1] + d[2][2] - 1) / 2
    return math.atan2(s, c)
