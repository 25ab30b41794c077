"""Python snippets with a materials meaning, and what they compute, for the offline Instructor's
code-interpretation items. Each draws realistic values (units in comments) from the rng."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from honeybee_core.providers.offline_facts import DENSITIES


def _hall_petch(rng: random.Random) -> tuple[str, str]:
    s0, k, d = rng.randint(5, 30) * 10, rng.randint(3, 9) * 100, rng.choice([4, 9, 16, 25, 64])
    code = (f"def hall_petch(sigma0, k, d):\n    # yield strength from the grain size d\n"
            f"    return sigma0 + k / d ** 0.5\n\n"
            f"print(hall_petch({s0}, {k}, {d}))  # MPa, MPa*um^0.5, um")
    return code, (f"It applies the Hall-Petch relation, yield strength = sigma0 + k / sqrt(d), "
                  f"for a friction stress of {s0} MPa, k = {k} MPa·µm^0.5 and a grain size of "
                  f"{d} µm, and prints {s0 + k / math.sqrt(d):.0f} MPa; smaller grains would "
                  f"give a higher strength.")


def _arrhenius(rng: random.Random) -> tuple[str, str]:
    d0, q, t = rng.choice([1.0e-5, 2.0e-5, 5.0e-5]), rng.randint(12, 30) * 10000, \
        rng.randint(8, 14) * 100
    code = (f"import math\n# diffusion coefficient\nD0 = {d0:.1e}  # m^2/s\n"
            f"Q = {q}  # activation energy, J/mol\nT = {t}  # K\n"
            f"print(D0 * math.exp(-Q / (8.314 * T)))")
    value = d0 * math.exp(-q / (8.314 * t))
    return code, (f"It evaluates the Arrhenius diffusion coefficient D = D0·exp(-Q / (R·T)) with "
                  f"D0 = {d0:.1e} m²/s, an activation energy of {q // 1000} kJ/mol and T = {t} K, "
                  f"and prints about {value:.1e} m²/s.")


def _density(rng: random.Random) -> tuple[str, str]:
    material = rng.choice(sorted(DENSITIES))
    volume = rng.randint(20, 80) / 10
    mass = round(DENSITIES[material] * volume, 1)
    code = f"mass = {mass}  # g\nvolume = {volume}  # cm^3\nprint(mass / volume)  # density"
    return code, (f"It computes a density as mass / volume = {mass} g / {volume} cm³ and prints "
                  f"{mass / volume:.2f} g/cm³, the density of {material}.")


def _bragg(rng: random.Random) -> tuple[str, str]:
    theta = rng.randint(100, 450) / 10
    code = ("import math\n# Bragg's law, first order\nwavelength = 0.15406  # nm, Cu K-alpha\n"
            f"theta = math.radians({theta})\nprint(wavelength / (2 * math.sin(theta)))")
    d = 0.15406 / (2 * math.sin(math.radians(theta)))
    return code, (f"It applies Bragg's law for first-order X-ray diffraction, d = λ / (2 sin θ), "
                  f"with Cu Kα radiation (0.15406 nm) at θ = {theta}°, and prints the lattice "
                  f"plane spacing, about {d:.4f} nm.")


SNIPPETS: tuple[Callable[[random.Random], tuple[str, str]], ...] = (
    _hall_petch, _arrhenius, _density, _bragg)
