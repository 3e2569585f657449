"""The pixel likelihood shared by the VAE and the VQ-VAE on 8×8 digits: 17 levels per pixel.

Pixels are integers 0..16, so a decoder outputs, for every one of the 64 pixels, a 17-way
categorical distribution p(x_i | z) (logits of shape (n, 64, 17)):

    log p(x | z) = Σ_i log softmax(logits_i)[x_i]
"""

from __future__ import annotations

import numpy as np

from engine.core.torch_setup import torch
from engine.data import digits

__all__ = ["N_PIX", "N_LEVELS", "LEVELS", "prepare", "log_px_given_z", "init_decoder_bias"]

nn = torch.nn
F = torch.nn.functional

N_PIX = digits.SIDE * digits.SIDE  # 64
N_LEVELS = digits.N_LEVELS  # 17
LEVELS = np.arange(N_LEVELS, dtype=np.float32)


def prepare(X: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(network input scaled to 0..1, integer pixel targets 0..16)."""
    X = np.asarray(X, np.float32).reshape(-1, N_PIX)
    targets = torch.from_numpy(np.clip(np.rint(X), 0, N_LEVELS - 1).astype(np.int64))
    return torch.from_numpy(X / (N_LEVELS - 1)), targets


def log_px_given_z(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log p(x | z) = Σ_i log softmax(logits_i)[x_i], one value per image (nats)."""
    logp = F.log_softmax(logits, dim=-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1).sum(-1)


@torch.no_grad()
def init_decoder_bias(net: nn.Module, targets: torch.Tensor, alpha: float = 1.0) -> None:
    """Set the decoder's output bias to log p(x_i = v) of the training pixels (smoothed).

    At the start, z carries no information yet, so the best a decoder can do is predict each
    pixel's marginal: starting there skips the phase where it learns only that.
    """
    last = net.decoder[-1]
    counts = F.one_hot(targets, N_LEVELS).sum(0).float() + alpha  # (64, 17)
    if isinstance(last, nn.Linear):
        last.bias.copy_((counts / counts.sum(-1, keepdim=True)).log().reshape(-1))
    else:  # a conv's bias is per level only: use the marginal over all pixels
        c = counts.sum(0)
        last.bias.copy_((c / c.sum()).log())
