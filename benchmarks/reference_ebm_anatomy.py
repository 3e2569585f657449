"""A re-implementation of point0bar1/ebm-anatomy's (MIT) non-convergent toy run on 8 Gaussians, used only
as the energy page's benchmark baseline. Written from the repository's ``train_toy.py``, ``nets.py``,
``utils.py`` and ``config_locker/gmm_nonconvergent.json``:

- data: ``ToyDataset("gmm", 8 groups, sd 0.15, radius 1)``, a fresh batch of 100 points every iteration
  (group sizes from a multinomial, as its ``sample_toy_data`` does);
- network: ``ToyNet``, 1×1 convolutions 2 → 32 → 64 → 64 → 64 → 1 with LeakyReLU(0.05) between them,
  applied to points shaped (n, 2, 1, 1) exactly as the repository does (PyTorch's default initialisation);
- negatives: 100 chains of ``num_mcmc_steps`` = 100 Langevin steps from N(0, I) (``init_type`` gaussian,
  ``noise_init_factor`` 1), each step ``x += −f'(x) + ε ξ`` with ε = 0.01 and f' from autograd;
- loss ``(mean f(data) − mean f(negatives)) · 2/ε²``, Adam with learning rate 1e-4 (no decay).

Its energy is U = f · 2/ε², so its step is the Langevin step x ← x − (ε²/2)∇U + εξ of the page.
Left out: the checkpoints, plots and printing of the original (file I/O, not training), and its global
seeding: here every random draw comes from its own generator.
"""

from __future__ import annotations

import numpy as np

from engine.core.torch_setup import torch

nn = torch.nn

CONFIG = {"batch_size": 100, "toy_groups": 8, "toy_sd": 0.15, "toy_radius": 1.0, "lr": 1e-4,
          "epsilon": 0.01, "num_mcmc_steps": 100, "noise_init_factor": 1.0}


class ToyNet(nn.Module):
    def __init__(self, dim: int = 2, n_f: int = 32, leak: float = 0.05):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(dim, n_f, 1, 1, 0), nn.LeakyReLU(leak),
            nn.Conv2d(n_f, n_f * 2, 1, 1, 0), nn.LeakyReLU(leak),
            nn.Conv2d(n_f * 2, n_f * 2, 1, 1, 0), nn.LeakyReLU(leak),
            nn.Conv2d(n_f * 2, n_f * 2, 1, 1, 0), nn.LeakyReLU(leak),
            nn.Conv2d(n_f * 2, 1, 1, 1, 0))

    def forward(self, x):
        return self.f(x).squeeze()


def centres(radius: float = CONFIG["toy_radius"], groups: int = CONFIG["toy_groups"]) -> np.ndarray:
    angles = 2 * np.pi * np.linspace(0, (groups - 1) / groups, groups)
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def sample_toy_data(n: int, rng: np.random.Generator) -> np.ndarray:
    """As ``ToyDataset.sample_toy_data``: multinomial group sizes, then each group around its mean."""
    c = centres()
    sizes = rng.multinomial(n, np.ones(len(c)) / len(c))
    return np.concatenate([c[i] + CONFIG["toy_sd"] * rng.standard_normal((k, 2)) for i, k in enumerate(sizes)])


class Reference:
    """The training loop of ``train_toy.py`` with the gmm_nonconvergent config, one iteration per ``train_steps`` step."""

    def __init__(self, seed: int = 0):
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # PyTorch's default init, from our own seed
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.f = ToyNet()
        self.gen = gen
        self.rng = np.random.default_rng(seed + 1)
        self.optim = torch.optim.Adam(self.f.parameters(), lr=CONFIG["lr"])
        self.step = 0

    def sample_s_t(self, n: int) -> torch.Tensor:
        eps = CONFIG["epsilon"]
        x = CONFIG["noise_init_factor"] * torch.randn([n, 2, 1, 1], generator=self.gen)
        x = x.clone().requires_grad_(True)
        for _ in range(CONFIG["num_mcmc_steps"]):
            f_prime = torch.autograd.grad(self.f(x).sum(), [x])[0]
            x.data += -f_prime + eps * torch.randn(x.shape, generator=self.gen)
        return x.detach()

    def train_steps(self, k: int) -> None:
        eps = CONFIG["epsilon"]
        for _ in range(k):
            x_q = torch.tensor(sample_toy_data(CONFIG["batch_size"], self.rng), dtype=torch.float32).view(-1, 2, 1, 1)
            x_s_t = self.sample_s_t(CONFIG["batch_size"])
            d_s_t = (self.f(x_q).mean() - self.f(x_s_t).mean()) * (2 / eps**2)
            self.optim.zero_grad()
            d_s_t.backward()
            self.optim.step()
            self.step += 1

    def sample(self, n: int) -> np.ndarray:
        return self.sample_s_t(n).view(n, 2).numpy().astype(np.float64)

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.f.parameters())

