"""One place per generative family.

- ``energy``          energy-based models: hand-made and learned energies, Langevin, CD, score matching
"""
