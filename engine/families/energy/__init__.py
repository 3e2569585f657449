"""Energy-based models: p(x) = exp(−E(x)) / Z, sampled by Langevin dynamics, trained by contrastive
divergence or score matching.

- ``landscapes``  energies designed by hand (wells, a ring, a double well, a Gaussian)
- ``langevin``    the sampler, with its frames, gradient sizes and escapes
- ``grid``        Z and the normalised density on a 2D grid
- ``network``     the learned energy f_θ and its input gradient
- ``model``       :class:`EnergyModel`: the family's contract (fit / sample / score_samples)
"""
