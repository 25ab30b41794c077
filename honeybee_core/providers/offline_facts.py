"""Textbook-level statements per topic: offline Instructor material when no passage is given."""

from __future__ import annotations

import random

FACTS: dict[str, tuple[str, ...]] = {
    "Nanomaterials": (
        "Gold nanoparticles smaller than 10 nm show a surface plasmon resonance near 520 nm.",
        "Quantum confinement increases the band gap of CdSe nanocrystals as their size shrinks.",
        "The high surface area of nanoparticles improves the activity of catalysts.",
    ),
    "Polymers": (
        "Polyethylene is a semicrystalline polymer whose density rises with its crystallinity.",
        "Above the glass transition temperature an amorphous polymer becomes rubbery.",
        "Crosslinking improved the creep resistance of the epoxy but reduced its ductility.",
    ),
    "Composites": (
        "Carbon fiber composites combine a high tensile strength with a low density.",
        "A weak fiber-matrix interface decreases the toughness of the composite.",
    ),
    "Biomaterials": (
        "Titanium alloys are used in implants because of their corrosion resistance.",
        "Hydroxyapatite coatings improve bone bonding on metallic implants.",
    ),
    "Metals": (
        "Annealing the cold-rolled copper at 400 °C restored its ductility.",
        "Grain refinement increased the yield strength of the steel, following Hall-Petch.",
        "Quenching the steel from 850 °C formed hard martensite.",
    ),
    "Semiconductors": (
        "Silicon has an indirect band gap of about 1.12 eV at 300 K.",
        "Doping silicon with phosphorus increases its electrical conductivity.",
        "Gallium nitride films deposited by MOCVD emit blue light.",
    ),
    "Superconductors": (
        "YBa2Cu3O7 films become superconducting below about 92 K.",
        "Oxygen loss decreased the critical temperature of the cuprate films.",
    ),
    "Ceramics": (
        "Alumina sintered at 1600 °C reached a relative density above 99 %.",
        "Ceramics are brittle because dislocation motion is limited in their ionic lattice.",
        "Adding yttria stabilizes the tetragonal phase of zirconia and improves its toughness.",
    ),
    "Glass": (
        "Soda-lime glass softens near 720 °C.",
        "Ion exchange in a salt bath increased the surface strength of the glass.",
    ),
    "Smart materials": (
        "Nickel-titanium shape memory alloys recover their shape when heated.",
        "Piezoelectric ceramics convert mechanical stress into electrical charge.",
    ),
    "Optical materials": (
        "Silica optical fibers have a loss minimum near 1550 nm.",
        "Doping the glass with erbium enables optical amplification.",
    ),
    "Magnetic materials": (
        "Nd2Fe14B magnets show a high coercivity and energy product.",
        "Annealing reduced the coercivity of the soft magnetic alloy.",
    ),
    "Graphene": (
        "Graphene has a thermal conductivity of several thousand W/mK at room temperature.",
        "Graphene films synthesized by chemical vapor deposition on copper cover large areas.",
    ),
    "Carbon nanotubes": (
        "Carbon nanotubes are metallic or semiconducting depending on their chirality.",
        "Adding 1 wt% carbon nanotubes improved the electrical conductivity of the epoxy.",
    ),
    "Energy materials": (
        "LiFePO4 cathodes deliver about 170 mAh/g with excellent cycling stability.",
        "Perovskite solar cells have exceeded 25 % power conversion efficiency.",
    ),
    "Construction materials": (
        "The compressive strength of concrete increases as the water-to-cement ratio decreases.",
        "Steel reinforcement compensates for the low tensile strength of concrete.",
    ),
    "Electronic materials": (
        "Copper replaced aluminum in chip interconnects because of its lower resistivity.",
        "Hafnium oxide films deposited by atomic layer deposition serve as gate dielectrics.",
    ),
    "Thermoelectric materials": (
        "Bi2Te3 alloys are the standard thermoelectric materials near room temperature.",
        "Nanostructuring decreased the thermal conductivity and improved the efficiency.",
    ),
    "Bio-inspired materials": (
        "Nacre is tough because aragonite platelets are bonded by a thin polymer layer.",
        "Gecko-inspired adhesives use arrays of fibers that stick by van der Waals forces.",
    ),
    "Self-healing materials": (
        "Microcapsules release a healing agent that fills cracks in the polymer.",
        "The self-healing coating recovered 90 % of its corrosion resistance after scratching.",
    ),
}


def passage_for(topic: str, rng: random.Random, extra: int = 3) -> str:
    """The topic's statements plus a few seeded others, as a passage."""
    own = list(FACTS.get(topic, ()))
    others = [s for t, ss in sorted(FACTS.items()) if t != topic for s in ss]
    return " ".join(own + rng.sample(others, k=min(extra + (0 if own else 3), len(others))))
