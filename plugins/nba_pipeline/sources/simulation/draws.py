"""Seeded random draws: the streams every part of the simulation draws from, and the few
distributions it needs.

A stream is keyed by a SHA-256 of the league's seed and of what is drawn (a game id, a player,
a date), never by Python's ``hash()`` (salted per process) or by call order, so any one draw is
the same whatever was generated before it, in any process.
"""

from __future__ import annotations

import hashlib
import math
import random

__all__ = ["binomial", "poisson", "seeded_rng", "stable_int", "stochastic_round"]


def stable_int(*parts: object) -> int:
    """A 64-bit integer from SHA-256 of the parts: the same in every process and Python run."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def seeded_rng(seed: int, *parts: object) -> random.Random:
    """The random stream of ``parts`` (what is drawn) in the league of ``seed``."""
    return random.Random(stable_int(seed, *parts))


def poisson(rng: random.Random, mean: float) -> int:
    """Poisson draw by inversion (one uniform); a normal approximation for large means."""
    if mean <= 0:
        return 0
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    target = rng.random()
    count, term = 0, math.exp(-mean)
    cumulative = term
    while target > cumulative and count < 200:
        count += 1
        term *= mean / count
        cumulative += term
    return count


def stochastic_round(rng: random.Random, value: float) -> int:
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def binomial(rng: random.Random, trials: int, probability: float) -> int:
    return sum(1 for _ in range(trials) if rng.random() < probability)
