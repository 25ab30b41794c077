"""Seeded synthetic materials-science instruction triples for tests, demos and benchmarks."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

MATERIALS = [
    ("silicon", "Si", 1.12, "diamond cubic"),
    ("germanium", "Ge", 0.67, "diamond cubic"),
    ("gallium arsenide", "GaAs", 1.42, "zinc blende"),
    ("zinc oxide", "ZnO", 3.37, "wurtzite"),
    ("titanium dioxide", "TiO2", 3.2, "rutile"),
    ("gallium nitride", "GaN", 3.4, "wurtzite"),
    ("cadmium telluride", "CdTe", 1.5, "zinc blende"),
    ("indium phosphide", "InP", 1.34, "zinc blende"),
    ("silicon carbide", "SiC", 3.26, "hexagonal"),
    ("copper oxide", "Cu2O", 2.1, "cuprite"),
    ("aluminium nitride", "AlN", 6.2, "wurtzite"),
    ("molybdenum disulfide", "MoS2", 1.8, "layered hexagonal"),
]
FILLER = [
    "The sample was annealed at {t} K for {h} hours under argon.",
    "X-ray diffraction confirmed a single {s} phase without secondary peaks.",
    "Thin films of {n} were grown by pulsed laser deposition on sapphire.",
    "Hall measurements gave a carrier density near 1e{e} per cubic centimetre.",
    "The optical absorption edge shifted slightly after doping with {d}.",
    "Grain sizes between {g} and {g2} nanometres were observed by SEM.",
]
DOPANTS = ["nitrogen", "boron", "phosphorus", "aluminium", "magnesium", "iron"]


def _sentence(rng: random.Random, name: str, structure: str) -> str:
    return rng.choice(FILLER).format(
        t=rng.randrange(400, 1400, 50),
        h=rng.randint(1, 12),
        s=structure,
        n=name,
        e=rng.randint(15, 19),
        d=rng.choice(DOPANTS),
        g=rng.randint(5, 40),
        g2=rng.randint(50, 400),
    )


def make_rows(n: int, seed: int = 0, long_tail: bool = False) -> list[dict[str, str]]:
    """n varied triples; long_tail=True draws context length from a skewed (lognormal) law."""
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        name, formula, gap, structure = rng.choice(MATERIALS)
        kind = k % 4
        n_ctx = min(int(rng.lognormvariate(0.3, 1.0)), 40) if long_tail else rng.randint(0, 2)
        context = " ".join(_sentence(rng, name, structure) for _ in range(n_ctx))
        if kind == 0:
            instr, out = f"What is the band gap of {name}?", f"The band gap of {name} is {gap} eV."
        elif kind == 1:
            instr = f"Give the chemical formula of {name}."
            out = f"The chemical formula of {name} is {formula}."
        elif kind == 2:
            instr = "Name the crystal structure of the material described."
            context = (f"The material is {name}. " + context).strip()
            out = f"{name.capitalize()} has a {structure} structure."
        else:
            instr = f"Is {name} a wide band gap semiconductor? Answer yes or no and explain."
            wide = "Yes" if gap > 3.0 else "No"
            out = f"{wide}, {name} has a band gap of {gap} eV."
        if long_tail:  # answers get long too, as in extraction/summary tasks
            n_out = min(int(rng.lognormvariate(0.0, 1.0)), 30)
            out = " ".join([out] + [_sentence(rng, name, structure) for _ in range(n_out)])
        rows.append(
            {"id": f"item-{seed}-{k:05d}", "instruction": instr, "input": context, "output": out}
        )
    return rows


def write_snapshot(path: str | Path, n: int, seed: int = 0, long_tail: bool = False) -> Path:
    """Write a snapshot Parquet with the contract columns plus the optional extras."""
    df = pd.DataFrame(make_rows(n, seed, long_tail))
    df["stage"] = "approved"
    df["topic"] = "semiconductors"
    df["task_type"] = "qa"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)
    return path
