"""Text helpers for the offline heuristic: sentences, content words, materials vocabulary."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a an the and or but if then than that this these those is are was were be been being
    of in on at to for from by with without as into onto over under about between through
    it its they them their we our you your he she his her i me my not no nor so such very
    can could may might must shall should will would do does did done has have had having
    which who whom whose what when where why how all any both each few more most other some
    also only own same too just there here out up down off again further once while during
    per via using used use based following text passage sentence given""".split()
)

PROCESSES = (
    "annealing annealed sintering sintered quenching quenched tempering tempered casting cast "
    "forging forged rolling rolled extrusion extruded doping doped deposition deposited "
    "sputtering sputtered coating coated heat-treated aging aged synthesis synthesized "
    "calcination calcined milling milled welding welded polishing polished etching etched "
    "oxidation oxidized hydrothermal sol-gel printing printed"
).split()
PROPERTIES = (
    "strength hardness ductility toughness modulus stiffness conductivity resistivity "
    "bandgap gap permeability permittivity density porosity elasticity plasticity "
    "fatigue creep corrosion resistance thermal expansion melting yield tensile "
    "compressive capacity efficiency stability magnetization coercivity dielectric "
    "piezoelectric ferroelectric superconductivity transparency absorption wear"
).split()
MATERIALS = (
    "steel alloy alloys aluminum aluminium titanium copper nickel iron magnesium zinc "
    "silicon germanium graphene graphite carbon nanotube nanotubes polymer polymers ceramic "
    "ceramics composite composites glass oxide oxides nitride carbide perovskite perovskites "
    "zeolite zeolites semiconductor semiconductors metal metals superalloy concrete cement "
    "hydrogel electrolyte cathode anode catalyst catalysts film films nanoparticle "
    "nanoparticles crystal crystals fiber fibers epoxy silica alumina zirconia titania"
).split()
STRUCTURE = (
    "grain grains lattice phase phases microstructure dislocation dislocations defect "
    "defects vacancy vacancies interface interfaces boundary boundaries precipitate "
    "precipitates crystalline amorphous texture diffusion fcc bcc hcp twin twins"
).split()
METHODS = "xrd sem tem afm xps raman dsc tga spectroscopy diffraction microscopy".split()
MATSCI_TERMS = frozenset(PROCESSES + PROPERTIES + MATERIALS + STRUCTURE + METHODS)

_UNITS = r"(?:GPa|MPa|kPa|Pa|K|°C|C|nm|µm|um|mm|cm|eV|meV|wt%|at%|%|g/cm3|S/cm|mAh/g|W/mK|h|min|s)"
NUMBER_RE = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)\s?({_UNITS})(?![\w])")
FORMULA_RE = re.compile(r"\b(?:[A-Z][a-z]?\d*(?:\.\d+)?){2,}\b")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9\-]*|\d+(?:\.\d+)?")
_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split prose into sentences of at least four words."""
    parts = [s.strip() for s in _SENT_RE.split(" ".join(text.split())) if s.strip()]
    return [s if s[-1] in ".!?" else s + "." for s in parts if len(s.split()) >= 4]


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def content_words(text: str) -> list[str]:
    return [w.lower() for w in words(text) if len(w) > 2 and w.lower() not in STOPWORDS]


ELEMENTS = frozenset(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As
    Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd
    Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np
    Pu""".split()
)
_SYMBOL_RE = re.compile(r"([A-Z][a-z]?)(\d*(?:\.\d+)?)")


def formulas(text: str) -> list[str]:
    """Chemical formulas like TiO2 or LiFePO4: two or more real element symbols, not MPa/TEM."""
    found = []
    for cand in FORMULA_RE.findall(text):
        symbols = _SYMBOL_RE.findall(cand)
        whole = "".join(a + b for a, b in symbols) == cand
        if whole and all(sym in ELEMENTS for sym, _ in symbols):
            found.append(cand)
    return found


def matsci_hits(text: str) -> list[str]:
    """Materials-science terms, formulas and quantities with units found in text."""
    lowered = [w.lower() for w in words(text)]
    hits = [w for w in lowered if w in MATSCI_TERMS]
    hits += formulas(text)
    hits += [f"{n} {u}" for n, u in NUMBER_RE.findall(text)]
    return hits


def terms_of(text: str, vocab: list[str]) -> list[str]:
    """Vocabulary terms present in text, in order of first appearance, without duplicates."""
    lowered = [w.lower() for w in words(text)]
    seen: list[str] = []
    for w in lowered:
        if w in vocab and w not in seen:
            seen.append(w)
    return seen


def quantities(text: str) -> list[str]:
    return [f"{n} {u}" for n, u in NUMBER_RE.findall(text)]


def overlap(a: list[str], b: list[str]) -> float:
    """Fraction of the distinct words of a that also occur in b (0.0 when a is empty)."""
    sa = set(a)
    return len(sa & set(b)) / len(sa) if sa else 0.0


def f1(pred: list[str], ref: list[str]) -> tuple[float, float, float]:
    """Token-level (precision, recall, F1) with multiplicity, as in SQuAD scoring."""
    if not pred or not ref:
        return 0.0, 0.0, 0.0
    remaining: dict[str, int] = {}
    for w in ref:
        remaining[w] = remaining.get(w, 0) + 1
    common = 0
    for w in pred:
        if remaining.get(w, 0) > 0:
            remaining[w] -= 1
            common += 1
    if common == 0:
        return 0.0, 0.0, 0.0
    p, r = common / len(pred), common / len(ref)
    return p, r, 2 * p * r / (p + r)
