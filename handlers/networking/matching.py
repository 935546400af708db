"""Who meets whom in a pairing round: a pure function of the people, their recent partners and a seed.

Rules, in order of strength:
1. never a pair that met within the window (`recent`);
2. nobody silently left out: an odd count makes exactly one trio, and anyone who truly cannot be placed
   without a repeat is returned in `unplaced`, so they can be told;
3. prefer a different institution, then a different career stage.

The method is greedy with a random sample of candidates for each person (fast: 10,000 people in well under a
second), followed by a repair pass that swaps partners to place anyone the greedy pass stranded. When someone is
still left over, it tries again with other seeds (up to `TRIES` in all) and keeps the matching that leaves out
fewest, then fewest of those left out last round (`left_out_before`): nobody sits out twice running while a
matching exists that places them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

SAMPLE = 24  # candidates looked at for each person before taking the best
TRIES = 12  # matchings tried, at most, while someone is left over


@dataclass(frozen=True)
class Person:
    id: int
    institution: int | None = None
    stage: str | None = None


Allowed = Callable[[Person, Person], bool]


@dataclass
class Matching:
    groups: list[tuple[int, ...]] = field(default_factory=list)  # pairs, and at most one trio
    unplaced: list[int] = field(default_factory=list)
    score: int = 0  # the sum of `score` over every two people placed together


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def recent_pairs(groups: Iterable[Sequence[int]]) -> set[tuple[int, int]]:
    """Every two people who were in one pair or trio."""
    found: set[tuple[int, int]] = set()
    for g in groups:
        for i, a in enumerate(g):
            for b in g[i + 1 :]:
                found.add(pair_key(a, b))
    return found


def score(a: Person, b: Person) -> int:
    """3: different institution and stage; 2: different institution; 1: different stage; 0: neither.
    An unknown institution or stage counts as half a difference."""
    inst = 4 if a.institution != b.institution else 0
    if a.institution is None or b.institution is None:
        inst = 2
    stage = 2 if a.stage != b.stage else 0
    if a.stage is None or b.stage is None:
        stage = 1
    return inst + stage


def placeable(people: Sequence[Person], recent: set[tuple[int, int]]) -> set[int]:
    """The ids of those who have someone among `people` they have not met within the window: anyone else can only
    be left out."""
    return {p.id for p in people if _can_meet(p.id, people, recent)}


def _can_meet(member_id: int, people: Sequence[Person], recent: set[tuple[int, int]]) -> bool:
    return any(p.id != member_id and pair_key(member_id, p.id) not in recent for p in people)


def match(
    people: Sequence[Person],
    recent: set[tuple[int, int]],
    seed: str | int,
    left_out_before: Iterable[int] = (),
) -> Matching:
    """Groups for `people` (ids), none holding two who are in `recent` (pair_key tuples), deterministic for a
    seed. `left_out_before`: ids left out last round, placed first and left out again only when no tried
    matching places them."""
    before = frozenset(left_out_before)
    best: Matching | None = None
    best_cost: tuple[int, int, int] | None = None
    for attempt in range(TRIES):
        found = _match_once(people, recent, f"{seed}" if attempt == 0 else f"{seed}/{attempt}", before)
        cost = (len(found.unplaced), sum(i in before for i in found.unplaced), -found.score)
        if best_cost is None or cost < best_cost:
            best, best_cost = found, cost
        if all(not _can_meet(i, people, recent) for i in found.unplaced):  # nobody left over could be placed
            break
    assert best is not None
    return best


def _match_once(people: Sequence[Person], recent: set[tuple[int, int]], seed: str, before: frozenset[int]) -> Matching:
    rng = random.Random(seed)
    pool = list(people)
    rng.shuffle(pool)
    pool.sort(key=lambda p: p.id in before)  # stable: those left out last round are taken first (from the end)
    pairs: list[list[Person]] = []
    stranded: list[Person] = []

    def allowed(a: Person, b: Person) -> bool:
        return pair_key(a.id, b.id) not in recent

    while len(pool) > 1:
        me = pool.pop()
        n = len(pool)
        best_i, best = -1, -1
        for i in rng.sample(range(n), min(SAMPLE, n)):
            other = pool[i]
            if allowed(me, other):
                s = score(me, other)
                if s > best:
                    best_i, best = i, s
                    if s == 6:
                        break
        if best_i < 0:  # nobody in the sample is allowed: look at everyone left
            for i, other in enumerate(pool):
                if allowed(me, other):
                    s = score(me, other)
                    if s > best:
                        best_i, best = i, s
        if best_i < 0:
            stranded.append(me)
            continue
        partner = pool[best_i]
        pool[best_i] = pool[-1]
        pool.pop()
        pairs.append([me, partner])
    stranded.extend(pool)

    stranded = _repair(pairs, stranded, allowed, rng)
    result = Matching()
    trio_made = False
    for extra in list(stranded):
        if trio_made:
            break
        home = _best_trio(pairs, extra, allowed)
        if home is not None:
            home.append(extra)
            stranded.remove(extra)
            trio_made = True
    result.groups = [tuple(p.id for p in g) for g in pairs]
    result.unplaced = [p.id for p in stranded]
    result.score = sum(score(a, b) for g in pairs for i, a in enumerate(g) for b in g[i + 1 :])
    return result


def _repair(pairs: list[list[Person]], stranded: list[Person], ok: Allowed, rng: random.Random) -> list[Person]:
    """Place stranded people: with each other where allowed, else by swapping into an existing pair
    ((x, y) + s, t  →  (x, s) + (y, t))."""
    left = list(stranded)
    placed = True
    while len(left) >= 2 and placed:
        placed = False
        for i, s in enumerate(left):
            for j in range(i + 1, len(left)):
                t = left[j]
                if ok(s, t):
                    pairs.append([s, t])
                    left.pop(j)
                    left.pop(i)
                    placed = True
                    break
                order = list(range(len(pairs)))
                rng.shuffle(order)
                swap = next(
                    (
                        (k, a, b)
                        for k in order
                        if len(pairs[k]) == 2
                        for a, b in ((s, t), (t, s))
                        if ok(pairs[k][0], a) and ok(pairs[k][1], b)
                    ),
                    None,
                )
                if swap is not None:
                    k, a, b = swap
                    x, y = pairs[k]
                    pairs[k] = [x, a]
                    pairs.append([y, b])
                    left.pop(j)
                    left.pop(i)
                    placed = True
                if placed:
                    break
            if placed:
                break
    return left


def _best_trio(pairs: list[list[Person]], extra: Person, ok: Allowed) -> list[Person] | None:
    best: list[Person] | None = None
    best_score = -1
    for p in pairs:
        if len(p) == 2 and ok(p[0], extra) and ok(p[1], extra):
            s = score(p[0], extra) + score(p[1], extra)
            if s > best_score:
                best, best_score = p, s
    return best
