"""A small VQ-VAE on the 8×8 digits: the second model of the VAE page.

The encoder maps a digit to S vectors z_e (one per code slot); each is replaced by its nearest
entry of a learned codebook {e_1 … e_K}, and the decoder reads the S chosen entries:

    k_s = argmin_j ‖z_e,s − e_j‖²,   z_q,s = e_{k_s},   x ~ p(x | z_q)  (17-way categorical per pixel)

    loss = −log p(x | z_q) + ‖sg[z_e] − e‖² + β_c ‖z_e − sg[e]‖²

(sg = stop-gradient; gradients skip the argmin by the straight-through estimator z_e + sg[z_q − z_e]).
So an image is described by S integers, each from a vocabulary of K codes. Codes no image
chooses are restarted at a random encoder output every ``restart_every`` steps.

``pretrained()`` loads the shipped weights; ``python -m engine.regenerate vae vq_s4_k32`` rebuilds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.core import training, weights
from engine.core.torch_setup import count_params, generator, optimise, torch, train_mode
from engine.core.training import Budget
from engine.data import digits
from engine.families.vae.pixels import LEVELS, N_LEVELS, N_PIX, init_decoder_bias, log_px_given_z, prepare

__all__ = ["FAMILY", "NAME", "VQConfig", "VQNet", "VQVAE", "VQTrainer", "train", "test_metrics", "pretrained"]

nn = torch.nn
F = torch.nn.functional
FAMILY = "vae"
NAME = "vq_s4_k32"


@dataclass(frozen=True)
class VQConfig:
    slots: int = 4  # S: codes per image
    codebook: int = 32  # K: entries in the codebook
    code_dim: int = 8
    hidden: int = 128
    commitment: float = 0.25  # β_c
    lr: float = 3e-3
    batch_size: int = 100
    max_steps: int = 400  # longer overfits: the test reconstruction gets worse after ~400 steps
    restart_every: int = 100

    @property
    def code_nats(self) -> float:
        """S·ln K: the nats a uniform prior over the K^S code combinations charges, so −log p(x) ≤ recon + this."""
        return self.slots * float(np.log(self.codebook))


class VQNet(nn.Module):
    def __init__(self, c: VQConfig) -> None:
        super().__init__()
        self.c = c
        self.encoder = nn.Sequential(nn.Linear(N_PIX, c.hidden), nn.ReLU(), nn.Linear(c.hidden, c.hidden), nn.ReLU(),
                                     nn.Linear(c.hidden, c.slots * c.code_dim))
        self.codebook = nn.Parameter(torch.randn(c.codebook, c.code_dim) * 0.5)
        self.decoder = nn.Sequential(nn.Linear(c.slots * c.code_dim, c.hidden), nn.ReLU(), nn.Linear(c.hidden, c.hidden), nn.ReLU(),
                                     nn.Linear(c.hidden, N_PIX * N_LEVELS))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x).view(-1, self.c.slots, self.c.code_dim)  # z_e: (n, S, D)

    def quantise(self, z_e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        d = (z_e.unsqueeze(-2) - self.codebook).pow(2).sum(-1)  # (n, S, K)
        idx = d.argmin(-1)
        return idx, self.codebook[idx]

    def decode_codes(self, idx: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.codebook[idx].flatten(1)).view(-1, N_PIX, N_LEVELS)


class VQVAE:
    """Inference wrapper: numpy in, numpy out, pixels on 0..16."""

    def __init__(self, config: VQConfig, net: VQNet | None = None) -> None:
        self.config = config
        self.net = (net or VQNet(config)).eval()

    @torch.no_grad()
    def codes(self, X: np.ndarray) -> np.ndarray:
        """The code index chosen in each slot: (n, S) integers in 0..K−1."""
        return self.net.quantise(self.net.encode(prepare(X)[0]))[0].numpy()

    @torch.no_grad()
    def decode_codes(self, idx: np.ndarray) -> np.ndarray:
        """E[x | codes] on 0..16: (n, 64)."""
        P = F.softmax(self.net.decode_codes(torch.as_tensor(np.asarray(idx, np.int64))), -1).numpy()
        return P @ LEVELS

    def reconstruct(self, X: np.ndarray) -> np.ndarray:
        return self.decode_codes(self.codes(X))

    @torch.no_grad()
    def recon_nll(self, X: np.ndarray) -> np.ndarray:
        """−log p(x | z_q(x)) per image, nats."""
        x, t = prepare(X)
        idx = self.net.quantise(self.net.encode(x))[0]
        return (-log_px_given_z(self.net.decode_codes(idx), t)).numpy()

    def usage(self, X: np.ndarray) -> dict:
        """How the codebook is used on X: counts per code, share of codes used, perplexity."""
        idx = self.codes(X).ravel()
        counts = np.bincount(idx, minlength=self.config.codebook)
        p = counts / counts.sum()
        nz = p[p > 0]
        return {"counts": counts, "used": int((counts > 0).sum()), "perplexity": float(np.exp(-(nz * np.log(nz)).sum()))}

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Decode codes drawn uniformly at random (a VQ-VAE needs a separate prior over codes for good samples)."""
        rng = np.random.default_rng(seed)
        return self.decode_codes(rng.integers(0, self.config.codebook, (n, self.config.slots)))


class VQTrainer(training.Trainer):
    """Trains a VQ-VAE one minibatch per step (Adam), restarting dead codes every ``restart_every`` steps.

    A NaN loss puts back the weights of the last 50-step checkpoint and stops (``diverged_``).
    ``history_`` holds the reconstruction and VQ losses of every step.
    """

    def __init__(self, config: VQConfig = VQConfig(), seed: int = 0, X_train: np.ndarray | None = None) -> None:
        if X_train is None:
            X_train = digits.load("train")[0]
        self.config = config
        self.x, self.t = prepare(X_train)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = VQNet(config)
        init_decoder_bias(net, self.t)
        self.net = net
        self.model = VQVAE(config, net)
        self.gen = generator(seed + 1)
        self.opt = torch.optim.Adam(net.parameters(), lr=config.lr)
        self.history_: dict[str, list[float]] = {"recon": [], "vq": []}
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        self._used = torch.zeros(config.codebook, dtype=torch.bool)
        self._good = {k: v.detach().clone() for k, v in net.state_dict().items()}

    ends_at_total = True

    @property
    def total_steps(self) -> int:
        return self.config.max_steps

    @property
    def n_params_(self) -> int:
        return count_params(self.net)

    def _training(self):
        return train_mode(self.net)

    def _train_step(self) -> bool:
        config, net, x, t = self.config, self.net, self.x, self.t
        step = self.step_ + 1
        idx_b = torch.randint(0, len(x), (config.batch_size,), generator=self.gen)
        z_e = net.encode(x[idx_b])
        idx, z_q = net.quantise(z_e)
        self._used[idx.unique()] = True
        z_st = z_e + (z_q - z_e).detach()  # straight-through
        logits = net.decoder(z_st.flatten(1)).view(-1, N_PIX, N_LEVELS)
        recon = -log_px_given_z(logits, t[idx_b]).mean()
        vq = (z_e.detach() - z_q).pow(2).sum(-1).mean() + config.commitment * (z_e - z_q.detach()).pow(2).sum(-1).mean()
        if optimise(self.opt, recon + vq) is None:
            net.load_state_dict(self._good)
            return False
        self.step_ = step
        self.history_["recon"].append(float(recon.detach()))
        self.history_["vq"].append(float(vq.detach()))
        if step % config.restart_every == 0 and step < config.max_steps * 0.8:
            dead = (~self._used).nonzero().flatten()
            if len(dead):  # restart unused codes at random encoder outputs of the current batch
                with torch.no_grad():
                    pool = z_e.detach().reshape(-1, config.code_dim)
                    pick = torch.randint(0, len(pool), (len(dead),), generator=self.gen)
                    net.codebook[dead] = pool[pick]
            self._used[:] = False
        if step % 50 == 0:
            self._good = {k: v.detach().clone() for k, v in net.state_dict().items()}
        return True

    def _metrics(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history_.items() if v}


def train(config: VQConfig = VQConfig(), seed: int = 0, X_train: np.ndarray | None = None) -> VQTrainer:
    """Train a VQ-VAE for its ``max_steps``; the trainer holds ``model`` and ``history_``."""
    tr = VQTrainer(config, seed, X_train)
    tr.advance(Budget(max_steps=config.max_steps))
    return tr


def test_metrics(model: VQVAE) -> dict:
    X, y = digits.load("test")
    u = model.usage(X)
    acc = float((digits.classify(model.reconstruct(X)) == y).mean())
    recon = float(model.recon_nll(X).mean())
    bound = recon + model.config.code_nats  # with a uniform prior over the K^S code combinations
    return {"test_recon": round(recon, 4), "test_neg_log_px_bound": round(bound, 4), "codes_used": u["used"],
            "perplexity": round(u["perplexity"], 3), "recon_accuracy": round(acc, 4)}


@lru_cache(maxsize=1)
def pretrained() -> VQVAE:
    state, entry = weights.load(FAMILY, NAME)
    cfg = VQConfig(**{k: v for k, v in entry["config"].items() if k in VQConfig.__dataclass_fields__})
    net = VQNet(cfg)
    net.load_state_dict({k: v.float() for k, v in state.items()})
    for p in net.parameters():
        p.requires_grad_(False)
    model = VQVAE(cfg, net)
    model.metrics = entry["metrics"]
    return model
