"""Seeded, realistic demo data for the matcher.

``generate_demo`` writes exporters, products, service offerings, importers, inquiries and funnel
histories as CSV files; ``load_demo`` ingests them through the ordinary pipeline. The funnel
outcomes follow a hidden fit (``hidden_fit``) that no output file reveals.
"""

from matcher.demo.generator import DEMO_AS_OF, GENERATOR_VERSION, DemoManifest, generate_demo
from matcher.demo.hidden_fit import DEFAULT, PERTURBED, FitOracle, HiddenWeights
from matcher.demo.load import DemoLoadError, load_demo

__all__ = [
    "DEFAULT",
    "DEMO_AS_OF",
    "GENERATOR_VERSION",
    "PERTURBED",
    "DemoLoadError",
    "DemoManifest",
    "FitOracle",
    "HiddenWeights",
    "generate_demo",
    "load_demo",
]
