"""Generated names in the Amika CLI's `{color}-{city}` style, deterministic for a given RNG."""

from __future__ import annotations

import random
from collections.abc import Container

COLORS = (
    "amber",
    "azure",
    "beige",
    "black",
    "blue",
    "bronze",
    "brown",
    "coral",
    "crimson",
    "cyan",
    "gold",
    "gray",
    "green",
    "indigo",
    "ivory",
    "jade",
    "lavender",
    "lilac",
    "lime",
    "magenta",
    "maroon",
    "mint",
    "navy",
    "olive",
    "orange",
    "pink",
    "plum",
    "purple",
    "red",
    "rose",
    "ruby",
    "salmon",
    "silver",
    "tan",
    "teal",
    "violet",
    "white",
    "yellow",
)
CITIES = (
    "accra",
    "athens",
    "austin",
    "bangkok",
    "berlin",
    "bogota",
    "boston",
    "cairo",
    "chicago",
    "dakar",
    "delhi",
    "denver",
    "dublin",
    "geneva",
    "hanoi",
    "havana",
    "helsinki",
    "istanbul",
    "jakarta",
    "kyoto",
    "lagos",
    "lima",
    "lisbon",
    "london",
    "madrid",
    "manila",
    "miami",
    "milan",
    "montreal",
    "moscow",
    "mumbai",
    "nairobi",
    "oslo",
    "paris",
    "perth",
    "porto",
    "prague",
    "quito",
    "riga",
    "rome",
    "santiago",
    "seattle",
    "seoul",
    "sofia",
    "stockholm",
    "sydney",
    "taipei",
    "tallinn",
    "tokyo",
    "toronto",
    "tunis",
    "valencia",
    "vienna",
    "warsaw",
    "zurich",
)


def generate_name(rng: random.Random, taken: Container[str]) -> str:
    """A free `{color}-{city}`; once the pairs run out (10k-box worlds) a numeric suffix keeps it unique."""
    for _ in range(20):
        name = f"{rng.choice(COLORS)}-{rng.choice(CITIES)}"
        if name not in taken:
            return name
    while True:
        name = f"{rng.choice(COLORS)}-{rng.choice(CITIES)}-{rng.randrange(10000):04d}"
        if name not in taken:
            return name
