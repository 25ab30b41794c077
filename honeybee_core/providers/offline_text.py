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
    per via using used use based following text passage sentence given"""
    # the frame of an answer, not a claim about the material: no grounding needed for these
    """ states stated reports reported names named mentions mentioned fact judging positive
    negative neutral focus examines report ties processing properties property material
    materials action condition none supports relation gain drawback key statement""".split()
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
    "fibre fibres "
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
NUMBER_RE = re.compile(rf"(?<![\w.])(\d+(?:\.\d+)?)(\s?)({_UNITS})(?![\w])")
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
        acronym = cand.isupper() and not any(ch.isdigit() for ch in cand)  # US, TEM, XRD
        if whole and not acronym and all(sym in ELEMENTS for sym, _ in symbols):
            found.append(cand)
    return found


def matsci_hits(text: str) -> list[str]:
    """Materials-science terms, formulas and quantities with units found in text."""
    lowered = [w.lower() for w in words(text)]
    hits = [w for w in lowered if w in MATSCI_TERMS]
    hits += formulas(text)
    hits += quantities(text)
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
    """Numbers with a unit ('300 K', '1.12 eV'); '1960s' is a decade, not seconds."""
    return [f"{n} {u}" for n, gap, u in NUMBER_RE.findall(text) if gap or u not in ("s", "h")]


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


# -- what makes an output poor, for the offline verifier ----------------------------------------
# Words a finished sentence does not end on: "It evaluates an", "A superconductor is".
FUNCTION_WORDS = frozenset(
    """a an the of in on at to for from by with and or but nor is are was were be been being
    has have had that which whose as than its their this these those into onto over under
    about between through can could may might will would should must shall do does did
    very more most such so if when while because although whereas where""".split()
)
_CLOSERS = tuple('.!?)]"\'»”’')
_OPPOSITE_PAIRS = (
    ("increase", "decrease"), ("increases", "decreases"), ("increased", "decreased"),
    ("increasing", "decreasing"), ("rise", "fall"), ("rises", "falls"), ("higher", "lower"),
    ("raises", "lowers"), ("raised", "lowered"), ("improves", "degrades"),
    ("improved", "degraded"), ("larger", "smaller"), ("widens", "narrows"),
    ("strengthens", "weakens"), ("hardens", "softens"),
)
OPPOSITES = {a: b for a, b in _OPPOSITE_PAIRS} | {b: a for a, b in _OPPOSITE_PAIRS}


def _plain_words(text: str) -> list[str]:
    return [w.lower() for w in words(text)]


def copies_input(out: str, inp: str, instr: str = "") -> bool:
    """The output repeats the input or the instruction (whole, or with a little added) instead
    of doing the task."""
    got = " ".join(_plain_words(out))
    if not got:
        return False
    for source in (inp, instr):
        src = " ".join(_plain_words(source))
        if src and (got == src or (len(src.split()) >= 12 and src in got)):
            return True
    return False


def cut_off(out: str, source: str = "") -> bool:
    """The output stops mid-sentence: on a function word or a comma, or as the unfinished start
    of a sentence of the source. Lists and tags without a final period are not cut off."""
    text = out.strip()
    ws = text.split()
    if not ws or text.endswith(_CLOSERS):
        return False
    if text[-1] in ",;:-–(" or ws[-1].lower() in FUNCTION_WORDS:
        return True
    segments = [seg for seg in re.split(r"[,;:]", text) if seg.strip()]
    prose = sum("/" in w for w in ws) < len(ws) / 2 and len(ws) / len(segments) >= 3.5
    if prose and len(ws) >= 6:  # a sentence, not a list or tags, with no end
        return True
    return len(ws) >= 3 and any(
        s.startswith(text) and len(s) > len(text) + 1 for s in sentences(source))


def contradictions(out: str, source: str) -> list[str]:
    """Direction words of the output whose opposite the source states instead (it says
    'decreases' where the source says 'increases')."""
    said, told = set(_plain_words(out)), set(_plain_words(source))
    return sorted(w for w in said if w in OPPOSITES and w not in told and OPPOSITES[w] in told)


# -- phrases a materials scientist uses whole ----------------------------------------------------
_COMPOUNDS = {
    "property": """band gap; yield strength; tensile strength; compressive strength; fracture
        toughness; thermal conductivity; electrical conductivity; thermal expansion; melting
        point; glass transition temperature; glass transition; critical temperature; surface
        area; corrosion resistance; creep resistance; wear resistance; young's modulus; elastic
        modulus; power conversion efficiency; energy density; specific capacity; cycle life;
        relative density; surface plasmon resonance; shape memory""",
    "process": """heat treatment; chemical vapor deposition; atomic layer deposition; ball milling;
        ion exchange; cold working; cold rolling; grain refinement; phase transition""",
    "structure": """grain size; grain boundaries; grain boundary; crystal structure; dislocation
        density; band structure; unit cell""",
    "material": """solar cells; quantum dots; carbon nanotubes; carbon fiber; carbon fibre; thin
        films; thin film; shape memory alloys; shape memory alloy; stainless steel""",
}
COMPOUNDS: dict[str, str] = {
    " ".join(p.split()): kind for kind, text in _COMPOUNDS.items() for p in text.split(";")}
KINDS: dict[str, list[str]] = {"material": MATERIALS, "property": PROPERTIES,
                               "process": PROCESSES, "structure": STRUCTURE}


def key_terms(text: str, *kinds: str) -> list[str]:
    """Materials terms of text (of the given kinds: material, property, process, structure; all
    by default) in order of appearance. Whole phrases ('band gap', 'yield strength') claim their
    words first; formulas count as materials."""
    kinds = kinds or tuple(KINDS)
    padded = " " + " ".join(_plain_words(text)) + " "
    found: dict[str, int] = {}
    taken: set[str] = set()
    for phrase, kind in sorted(COMPOUNDS.items(), key=lambda pk: -len(pk[0])):
        pattern = _plain_words(phrase)  # "young's" is two words here, as in the text
        at = padded.find(" " + " ".join(pattern) + " ")
        if at >= 0 and not set(pattern) <= taken:
            taken.update(pattern)
            if kind in kinds:
                found[phrase] = at
    pool = {w for kind in kinds for w in KINDS[kind]}
    for w in _plain_words(text):
        if w in pool and w not in taken and w not in found:
            found[w] = padded.find(f" {w} ")
    if "material" in kinds:
        for f in formulas(text):
            found.setdefault(f, padded.find(f" {f.lower()} "))
    return sorted(found, key=found.__getitem__)


# Penn Treebank tags of common words; the rest are guessed from their endings.
POS_TAGS = {
    "the": "DT", "a": "DT", "an": "DT", "this": "DT", "these": "DT", "each": "DT", "all": "DT",
    "of": "IN", "in": "IN", "with": "IN", "by": "IN", "at": "IN", "for": "IN", "on": "IN",
    "from": "IN", "as": "IN", "than": "IN", "into": "IN", "between": "IN", "because": "IN",
    "and": "CC", "or": "CC", "but": "CC", "is": "VBZ", "are": "VBP", "was": "VBD",
    "were": "VBD", "be": "VB", "been": "VBN", "has": "VBZ", "have": "VBP", "it": "PRP",
    "they": "PRP", "its": "PRP$", "their": "PRP$", "to": "TO", "which": "WDT", "that": "WDT",
    "can": "MD", "could": "MD", "may": "MD", "will": "MD", "would": "MD", "should": "MD",
    "must": "MD", "not": "RB", "very": "RB", "more": "RBR", "most": "RBS", "high": "JJ",
    "low": "JJ", "small": "JJ", "large": "JJ", "hard": "JJ", "soft": "JJ", "thin": "JJ",
}
