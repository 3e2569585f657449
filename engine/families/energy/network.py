"""The learned energy E_θ: a small leaky-ReLU network, with its input gradient written out.

Langevin dynamics needs ∇ₓE at every step for every particle, and autograd's bookkeeping costs more
than the arithmetic for a network this small. The network is piecewise linear, so its gradient is a
product of matrices and 0/1 slopes,

    ∇_z f(z) = W₁ᵀ D₁ W₂ᵀ D₂ … w_outᵀ (+ z/s²),    D_l = diag(1 where layer l's pre-activation > 0, else slope),

and :meth:`EnergyNet.input_grad` computes exactly that (a test checks it against autograd). Written
with torch operations, it stays differentiable in θ, which is what denoising score matching needs
(it fits −∇ₓE_θ, so its loss differentiates a gradient).

Why the confining term: far from the data a piecewise-linear network is linear, so on its own it can
fall forever in some direction, exp(−f) then has no finite integral (no Z), and persistent chains find
that direction and run off. Adding ‖z‖²/(2s²) with a broad s (3 standard deviations of the data) makes
exp(−E) integrable whatever the weights, and costs the network almost nothing near the data
(0.22 at two standard deviations).

Why leaky ReLU: its wells are cones, so a well as narrow as the data's modes (σ = 0.15 on the ring)
needs a large slope, not a large curvature; the network reaches it in a few hundred steps, where a
smooth network (SiLU) of the same size was still twice too wide (measured, see
``benchmarks/results/energy_based.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from engine.core.torch_setup import torch

__all__ = ["NetConfig", "EnergyNet"]

nn = torch.nn


@dataclass(frozen=True)
class NetConfig:
    dim: int = 2  # 2 for points, 64 for 8×8 digits
    hidden: int = 32
    depth: int = 3  # hidden layers
    slope: float = 0.05  # the leaky ReLU's slope below zero
    in_scale: float = 3.0  # the first layer starts with weights this many times PyTorch's default, so the
    #                        network can cut the plane into narrow regions from the start
    confine: float = 3.0  # s in the term ‖z‖²/(2s²) added to the network (0: none), see below


class EnergyNet(nn.Module):
    """E(z) = f_θ(z) + ‖z‖²/(2s²): an MLP with ``depth`` leaky-ReLU hidden layers of ``hidden`` units, plus the confining term."""

    def __init__(self, config: NetConfig = NetConfig(), seed: int = 0) -> None:
        super().__init__()
        self.config = config
        dims = [config.dim] + [config.hidden] * config.depth + [1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        gen = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():  # PyTorch's default range ±1/√fan_in, drawn from our own generator
            for i, layer in enumerate(self.layers):
                bound = (config.in_scale if i == 0 else 1.0) / math.sqrt(layer.in_features)
                layer.weight.copy_((torch.rand(layer.weight.shape, generator=gen) * 2 - 1) * bound)
                layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1) * bound)

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """f_θ(z) for each row: shape (n,)."""
        slope = self.config.slope
        h = z
        for layer in self.layers[:-1]:
            h = nn.functional.leaky_relu(layer(h), slope)
        out = self.layers[-1](h)[:, 0]
        if self.config.confine:
            out = out + 0.5 * z.pow(2).sum(1) / self.config.confine**2
        return out

    def input_grad(self, z: torch.Tensor) -> torch.Tensor:
        """∇_z f_θ(z), shape (n, dim), differentiable in θ (not in z: the slopes are piecewise constant)."""
        weights = [layer.weight for layer in self.layers]
        biases = [layer.bias for layer in self.layers]
        return _grad(weights, biases, self.config.slope, z, self.config.confine)

    def grad_fn(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """A fast ∇_z f for the current weights, for sampling (no graph; the weights are read once)."""
        weights = [layer.weight.detach() for layer in self.layers]
        biases = [layer.bias.detach() for layer in self.layers]
        slope, confine = self.config.slope, self.config.confine
        return lambda z: _grad(weights, biases, slope, z, confine)


def _grad(weights: list, biases: list, slope: float, z: torch.Tensor, confine: float = 0.0) -> torch.Tensor:
    # aten's leaky_relu_backward(d, pre) is d · (1 where pre > 0, else slope) in one operation; it has a
    # derivative in d, so the result stays differentiable in the weights. Half the time of compare-and-where.
    pres = []
    h = z
    for W, b in zip(weights[:-1], biases[:-1]):
        pre = torch.addmm(b, h, W.t())
        pres.append(pre)
        h = _leaky_relu(pre, slope)
    d = _slopes(weights[-1].expand(len(z), -1), pres[-1], slope, False)  # ∂f/∂(last pre-activation)
    for i in range(len(pres) - 2, -1, -1):
        d = _slopes(d @ weights[i + 1], pres[i], slope, False)
    if confine:
        return torch.addmm(z, d, weights[0], beta=1.0 / confine**2)  # z/s² + ∂f/∂z
    return d @ weights[0]


_leaky_relu = nn.functional.leaky_relu
_slopes = torch.ops.aten.leaky_relu_backward
