"""Textbook-level materials knowledge for the offline Instructor: statements per topic (used when
no passage is given), rules of thumb, densities, and plain words for jargon."""

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


# Densities in g/cm3 at room temperature, for the code-interpretation examples.
DENSITIES = {"aluminium": 2.70, "silicon": 2.33, "titanium": 4.51, "zirconia": 5.68,
             "iron": 7.87, "nickel": 8.91, "copper": 8.96, "alumina": 3.95, "tungsten": 19.3}

# (process, property, effect, the materials it applies to; the first is the default)
RULES = [
    ("annealing", "ductility", "increases, because annealing relieves internal stresses "
     "and lets dislocations recover", ("copper", "steel", "aluminium", "brass", "nickel")),
    ("quenching from the austenite range", "hardness", "increases, because rapid cooling "
     "forms hard martensite", ("steel",)),
    ("grain refinement", "yield strength", "increases, because more grain boundaries block "
     "dislocation motion (the Hall-Petch relation)", ("steel", "copper", "aluminium", "alloy")),
    ("cold working", "ductility", "decreases, because the dislocation density rises",
     ("copper", "steel", "aluminium", "brass")),
    ("a temperature rise", "diffusion rate", "increases exponentially, following the "
     "Arrhenius law", ("steel", "silicon", "alloy", "ceramic")),
    ("added porosity", "stiffness", "decreases, because pores carry no load",
     ("ceramic", "alumina", "concrete", "zirconia")),
    ("a higher crosslink density", "glass transition temperature", "increases, because "
     "crosslinks restrict chain motion", ("epoxy", "polymer", "elastomer")),
    ("donor doping", "electrical conductivity", "increases, because the dopants "
     "add free electrons", ("silicon", "germanium", "semiconductor")),
    ("a smaller particle size", "surface-to-volume ratio", "increases, roughly as 1/d",
     ("nanoparticles", "catalyst", "gold")),
    ("tempering", "toughness", "increases, because tempering relieves the brittleness of "
     "fresh martensite", ("steel",)),
    ("sintering at a higher temperature", "density", "increases, because pores close as atoms "
     "diffuse", ("alumina", "zirconia", "ceramic")),
    ("ion exchange in a potassium salt bath", "surface strength", "increases, because larger "
     "ions put the surface in compression", ("glass",)),
    ("adding carbon fibers", "stiffness", "increases, because the stiff fibers carry most of "
     "the load", ("epoxy", "polymer", "composite")),
    ("heating above the Curie temperature", "magnetization", "vanishes, because thermal "
     "agitation destroys the magnetic order", ("iron", "nickel", "magnet")),
    ("oxygen loss", "critical temperature", "decreases, because fewer charge carriers remain "
     "in the copper-oxygen planes", ("cuprate", "YBa2Cu3O7")),
]

# Plain words for jargon, for text simplification (the gloss goes in brackets after the term).
GLOSSES = {
    "ductility": "how far it stretches before breaking", "hardness": "resistance to dents",
    "toughness": "resistance to cracking", "modulus": "stiffness", "band gap": "the energy an "
    "electron needs to conduct", "conductivity": "how easily current flows",
    "annealing": "slow heating and cooling", "sintering": "bonding a powder by heating",
    "quenching": "rapid cooling", "dislocations": "line defects in the crystal",
    "dislocation": "a line defect in the crystal", "grain boundaries": "borders between "
    "crystals", "lattice": "the regular arrangement of atoms", "microstructure": "the internal "
    "structure seen under a microscope", "precipitates": "tiny particles", "catalyst": "a "
    "substance that speeds up a reaction", "amorphous": "without an ordered structure",
    "corrosion": "chemical attack", "diffusion": "the spreading of atoms", "polymer": "a "
    "long-chain molecule", "semiconductor": "a material that conducts only partly",
    "dielectric": "an electrical insulator", "dielectrics": "electrical insulators",
    "critical temperature": "the temperature below which it superconducts",
    "glass transition": "the change from glassy to rubbery", "capacitance": "the ability to "
    "store charge", "crystalline": "with atoms in a regular pattern", "alloy": "a metal mixed "
    "from several elements", "substrate": "the base it is grown on", "anisotropic": "different "
    "in each direction", "stress": "force per area", "viscosity": "resistance to flow",
    "martensite": "a hard phase formed by fast cooling", "austenite": "a high-temperature "
    "phase of iron", "superconductivity": "current flow without resistance", "coercivity":
    "resistance to demagnetization", "perovskite": "a common crystal structure type",
    "nanoparticles": "particles a few nanometres across", "electrolyte": "the ion-conducting "
    "layer", "cathode": "the positive electrode", "anode": "the negative electrode",
    "oxidation": "reaction with oxygen", "thermoplastics": "plastics that melt when heated",
    "composite": "a material made of two or more materials", "monomers": "small building-block "
    "molecules", "photons": "particles of light", "chirality": "the way the sheet is rolled",
    "percolating": "connected", "epitaxial": "grown in line with the crystal below",
}
PLAIN_WORDS = {"utilized": "used", "utilize": "use", "exhibits": "shows", "exhibit": "show",
               "synthesized": "made", "fabricated": "made", "approximately": "about",
               "subsequently": "then", "consequently": "so", "commence": "start"}


def passage_for(topic: str, rng: random.Random, extra: int = 3) -> str:
    """The topic's statements plus a few seeded others, as a passage."""
    own = list(FACTS.get(topic, ()))
    others = [s for t, ss in sorted(FACTS.items()) if t != topic for s in ss]
    return " ".join(own + rng.sample(others, k=min(extra + (0 if own else 3), len(others))))
