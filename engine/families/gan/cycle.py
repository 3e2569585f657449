"""CycleGAN in the plane (Zhu, Park, Isola & Efros 2017): two unpaired point sets and two generators.

Domain A (two moons) and domain B (two circles) come with no pairs: nothing says which moon point
should become which circle point. Two generators map between them, G: A → B and F: B → A, each
judged by its own discriminator (D_B on G's output, D_A on F's). The adversarial losses are the
paper's least-squares ones (LSGAN), on D's raw score s:

    L_D    = ½ (D_B(b) − 1)² + ½ D_B(G(a))²  +  ½ (D_A(a) − 1)² + ½ D_A(F(b))²
    L_GAN  = (D_B(G(a)) − 1)²  +  (D_A(F(b)) − 1)²
    L_cyc  = ‖F(G(a)) − a‖₁  +  ‖G(F(b)) − b‖₁          (‖v‖₁ = |v₁| + |v₂|)
    L_G,F  = L_GAN + λ · L_cyc                           (λ = 10, as in the paper)

each a mean over the batch. ``CycleConfig(cycle=False)`` drops the λ·L_cyc term: the adversarial
losses alone only ask G(A) to look like B, so G may pair any a with any b, or pile A onto part of B.
Left out on purpose: the paper's identity loss and its buffer of 50 past fakes for D (both for
images), and its ResNet generators (here MLPs). One step is one update of G and F together, then
one of D_A and D_B together (the paper's order).

Measured on held-out points every ``eval_every`` steps: the cycle error (L_cyc on the test points of
both domains, also when the term is off) and MMD² (``engine.metrics.mmd2``) between G(A) and B and
between F(B) and A.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from engine import metrics
from engine.core import weights
from engine.core.errors import InputError
from engine.core.torch_setup import generator as torch_generator
from engine.core.torch_setup import torch
from engine.core.training import Trainer
from engine.data import points

__all__ = ["CycleConfig", "Domains", "domains", "CycleHistory", "CycleView", "CycleTrainer", "SHIPPED_SEED", "shipped_name",
           "recipe", "ShippedCycle", "shipped_run", "MAX_ARROWS", "PairMLP"]

nn = torch.nn
MAX_ARROWS = 200  # test points that carry an arrow to their image (the plane stays readable and light)


@dataclass(frozen=True)
class CycleConfig:
    """Every knob of the 2D CycleGAN in one place."""

    cycle: bool = True  # False: train with the adversarial losses only
    lam: float = 10.0  # λ, the cycle loss's weight (Zhu et al. 2017 use 10)
    width: int = 64
    depth: int = 2  # hidden layers of every network
    lr: float = 2e-3
    betas: tuple[float, float] = (0.5, 0.999)  # Adam's, as in the paper
    batch: int = 128
    steps: int = 600  # a run's planned length
    eval_every: int = 25

    def check(self) -> CycleConfig:
        if not (math.isfinite(self.lam) and 0 <= self.lam <= 1000):
            raise InputError("bad_cycle_weight", lam=self.lam)
        if not (math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise InputError("bad_learning_rate", lr=self.lr)
        if not 4 <= self.width <= 512 or not 1 <= self.depth <= 4 or not 2 <= self.batch <= 4096:
            raise InputError("bad_network_size")
        if not 1 <= self.steps <= 100_000 or not 1 <= self.eval_every:
            raise InputError("bad_cycle_steps", n=self.steps)
        return self


@dataclass(frozen=True)
class Domains:
    """The two unpaired sets, each split into training and held-out points."""

    A: np.ndarray
    B: np.ndarray
    A_test: np.ndarray
    B_test: np.ndarray
    names: tuple[str, str] = ("moons", "circles")


def domains(a: str = "moons", b: str = "circles", n: int = 600, seed: int = 0, test_fraction: float = 0.25) -> Domains:
    """Built-in data sets ``a`` and ``b`` (``engine.data.points``), ``n`` points each, drawn independently
    (different seeds: no point of A has a partner in B), a quarter of each held out."""
    parts = []
    for i, name in enumerate((a, b)):
        ds = points.make_dataset(name, n=n, seed=2 * seed + i)
        train, test = points.train_test_split(ds, test_fraction, seed=2 * seed + i)
        parts.append((train.X, test.X))
    (A, A_test), (B, B_test) = parts
    return Domains(A, B, A_test, B_test, (a, b))


@dataclass
class CycleHistory:
    step: list[int] = field(default_factory=list)  # every ``log_every`` steps: means since the last row
    loss_d: list[float] = field(default_factory=list)
    loss_gan: list[float] = field(default_factory=list)
    loss_cycle: list[float] = field(default_factory=list)  # L_cyc on the training batches (also when off)
    eval_step: list[int] = field(default_factory=list)
    cycle_test: list[float] = field(default_factory=list)  # L_cyc on the held-out points of both domains
    mmd_ab: list[float] = field(default_factory=list)  # MMD²(G(A_test), B_test)
    mmd_ba: list[float] = field(default_factory=list)  # MMD²(F(B_test), A_test)

    def latest(self, name: str) -> float:
        return next((float(v) for v in reversed(getattr(self, name)) if np.isfinite(v)), float("nan"))


@dataclass(frozen=True)
class CycleView:
    """What the plane draws: held-out points, their images and their round trips."""

    A: np.ndarray  # held-out points of A (at most MAX_ARROWS)
    B: np.ndarray
    GA: np.ndarray  # G(a) for each of them
    FB: np.ndarray  # F(b)
    FGA: np.ndarray  # F(G(a)): back where it started when the cycle holds
    GFB: np.ndarray  # G(F(b))


def _as_tensor(X: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(X, np.float32))


class PairMLP(nn.Module):
    """Two MLPs of one shape, evaluated together: input (2, n, d_in) → output (2, n, d_out), net k on slice k.

    One batched matrix product per layer serves both networks (half the small ops of two separate MLPs,
    which is what a step's time goes to here). Each net starts as ``torch.nn.Linear`` would: weights and
    biases uniform in ±1/√fan_in."""

    def __init__(self, n_in: int, n_out: int, width: int, depth: int, slope: float, gen: torch.Generator) -> None:
        super().__init__()
        sizes = [n_in, *([width] * depth), n_out]
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            self.weights.append(nn.Parameter((torch.rand(2, fan_in, fan_out, generator=gen) * 2 - 1) * bound))
            self.biases.append(nn.Parameter((torch.rand(2, 1, fan_out, generator=gen) * 2 - 1) * bound))
        self.slope = slope  # 0: ReLU (the generators), 0.2: leaky ReLU (the discriminators)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, slice(None))

    def one(self, k: int, x: torch.Tensor) -> torch.Tensor:
        """Net ``k`` alone on ``x`` (n, d_in) → (n, d_out)."""
        return self._run(x[None], slice(k, k + 1))[0]

    def _run(self, x: torch.Tensor, nets: slice) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b[nets], x, w[nets])
            if i < last:
                x = torch.nn.functional.leaky_relu(x, self.slope) if self.slope else torch.relu(x)
        return x


class CycleTrainer(Trainer):
    """G and F (one :class:`PairMLP`, ``gen``: net 0 is G, net 1 is F), D_B and D_A (``disc``: net 0 judges B,
    net 1 judges A), their two optimisers and the history, advanced a budget at a time.

    ``CycleTrainer(domains, cfg, seed)``; ``advance(Budget(...))`` trains (it ends at ``cfg.steps``),
    ``view()`` maps the held-out points, ``evaluate()`` measures them.
    """

    report_every = 50
    ends_at_total = True

    def __init__(self, data: Domains, cfg: CycleConfig = CycleConfig(), seed: int = 0, log_every: int = 10) -> None:
        self.cfg = cfg.check()
        self.seed, self.log_every = int(seed), int(log_every)
        for X in (data.A, data.B, data.A_test, data.B_test):
            if X.ndim != 2 or X.shape[1] != 2 or len(X) < 2 or not np.isfinite(X).all():
                raise InputError("too_few_points", n=len(X), min=2)
        self.data = data
        self.A, self.B = _as_tensor(data.A), _as_tensor(data.B)
        self.A_test, self.B_test = _as_tensor(data.A_test), _as_tensor(data.B_test)
        init = torch_generator(self.seed)
        self.gen = PairMLP(2, 2, cfg.width, cfg.depth, 0.0, init)
        self.disc = PairMLP(2, 1, cfg.width, cfg.depth, 0.2, init)
        self.batches = torch_generator(self.seed + 1)
        self._new_optimisers()
        self.step_, self.diverged_, self.elapsed_ = 0, False, 0.0
        self.history_ = CycleHistory()
        self._acc, self._n = np.zeros(3), 0
        self._good = self._snapshot()
        self.evaluate()

    # ------------------------------------------------------------ the contract's parts
    @property
    def total_steps(self) -> int:
        return self.cfg.steps

    @property
    def n_params_(self) -> int:
        return sum(p.numel() for net in (self.gen, self.disc) for p in net.parameters())

    def G(self, a: torch.Tensor) -> torch.Tensor:
        """A → B."""
        with torch.no_grad():
            return self.gen.one(0, a)

    def F(self, b: torch.Tensor) -> torch.Tensor:
        """B → A."""
        with torch.no_grad():
            return self.gen.one(1, b)

    def _new_optimisers(self) -> None:
        """Fresh optimisers, built on the first step that needs them: the first ``torch.optim.Adam`` of a process
        imports torch.optim (seconds on a busy server), and a page that shows a shipped run never trains."""
        self._opts: dict[str, torch.optim.Optimizer] = {}

    def _optimiser(self, name: str) -> torch.optim.Optimizer:
        if name not in self._opts:
            net = self.gen if name == "g" else self.disc
            self._opts[name] = torch.optim.Adam(net.parameters(), lr=self.cfg.lr, betas=self.cfg.betas, foreach=True)
        return self._opts[name]

    @property
    def opt_g(self) -> torch.optim.Optimizer:
        return self._optimiser("g")

    @property
    def opt_d(self) -> torch.optim.Optimizer:
        return self._optimiser("d")

    def _snapshot(self) -> tuple[dict, dict]:
        return tuple({k: v.detach().clone() for k, v in net.state_dict().items()} for net in (self.gen, self.disc))

    def _restore(self, good: tuple[dict, dict]) -> None:
        for net, state in zip((self.gen, self.disc), good):
            net.load_state_dict(state)
        self._new_optimisers()

    # ------------------------------------------------------------ losses
    @staticmethod
    def cycle_loss(a: torch.Tensor, a_back: torch.Tensor, b: torch.Tensor, b_back: torch.Tensor) -> torch.Tensor:
        """‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁, each a mean over its points."""
        return (a_back - a).abs().sum(-1).mean() + (b_back - b).abs().sum(-1).mean()

    def _batch(self, X: torch.Tensor) -> torch.Tensor:
        return X[torch.randint(len(X), (self.cfg.batch,), generator=self.batches)]

    def _train_step(self) -> bool:
        cfg = self.cfg
        x = torch.stack([self._batch(self.A), self._batch(self.B)])  # [a, b]
        # G and F: fool both discriminators (and, with the cycle term, come back)
        y = self.gen(x)  # [G(a), F(b)]
        loss_gan = ((self.disc(y) - 1) ** 2).mean(dim=(1, 2)).sum()  # (D_B(G(a)) − 1)² + (D_A(F(b)) − 1)²
        back = self.gen(y.flip(0))  # [G(F(b)), F(G(a))]
        loss_cycle = self.cycle_loss(x[0], back[1], x[1], back[0])
        loss_g = loss_gan + cfg.lam * loss_cycle if cfg.cycle else loss_gan
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        # D_B and D_A: real points towards 1, the generators' (detached) towards 0, in one pass
        n = x.shape[1]
        s_real, s_fake = self.disc(torch.cat([x.flip(0), y.detach()], dim=1)).split(n, dim=1)  # D_B sees b and G(a); D_A a and F(b)
        loss_d = 0.5 * (((s_real - 1) ** 2).mean(dim=(1, 2)).sum() + (s_fake ** 2).mean(dim=(1, 2)).sum())
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        values = (loss_d.item(), loss_gan.item(), loss_cycle.item())
        if not all(map(math.isfinite, values)):
            self._restore(self._good)
            return False
        self.step_ += 1
        self._acc += values
        self._n += 1
        if self.step_ % self.log_every == 0:
            if not self._weights_finite():  # checked with the snapshot: a step's loss is checked every step
                self.step_ -= 1
                self._restore(self._good)
                return False
            self._log()
            self._good = self._snapshot()
        if self.step_ % cfg.eval_every == 0 or self.step_ == cfg.steps:
            with self._untimed():
                self.evaluate()
        return True

    def _weights_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for net in (self.gen, self.disc) for p in net.parameters())

    def _log(self) -> None:
        h, m = self.history_, self._acc / max(self._n, 1)
        h.step.append(self.step_)
        h.loss_d.append(float(m[0]))
        h.loss_gan.append(float(m[1]))
        h.loss_cycle.append(float(m[2]))
        self._acc, self._n = np.zeros(3), 0

    # ------------------------------------------------------------ measuring and drawing
    def cycle_error(self) -> float:
        """L_cyc on the held-out points of both domains."""
        a, b = self.A_test, self.B_test
        return float(self.cycle_loss(a, self.F(self.G(a)), b, self.G(self.F(b))))

    def evaluate(self) -> None:
        h = self.history_
        if h.eval_step and h.eval_step[-1] == self.step_:
            return
        h.eval_step.append(self.step_)
        h.cycle_test.append(self.cycle_error())
        h.mmd_ab.append(metrics.mmd2(self.G(self.A_test).numpy(), self.data.B_test))
        h.mmd_ba.append(metrics.mmd2(self.F(self.B_test).numpy(), self.data.A_test))

    def _metrics(self) -> dict[str, float]:
        h = self.history_
        return {"cycle_test": h.latest("cycle_test"), "mmd_ab": h.latest("mmd_ab"), "mmd_ba": h.latest("mmd_ba")}

    def view(self, n: int = MAX_ARROWS) -> CycleView:
        a, b = self.A_test[:n], self.B_test[:n]
        ga, fb = self.G(a), self.F(b)
        as64 = lambda t: t.numpy().astype(np.float64)  # noqa: E731
        return CycleView(A=as64(a), B=as64(b), GA=as64(ga), FB=as64(fb), FGA=as64(self.F(ga)), GFB=as64(self.G(fb)))

    # ------------------------------------------------------------ weights
    def _weights_state(self) -> dict:
        out = {f"gen.{k}": v for k, v in self.gen.state_dict().items()}
        out.update({f"disc.{k}": v for k, v in self.disc.state_dict().items()})
        return out

    def _load_weights_state(self, state: dict) -> None:
        for name, net in (("gen", self.gen), ("disc", self.disc)):
            net.load_state_dict({k[len(name) + 1:]: v for k, v in state.items() if k.startswith(name + ".")})
        self._new_optimisers()
        self._good = self._snapshot()
        self.history_, self._acc, self._n = CycleHistory(), np.zeros(3), 0
        self.evaluate()

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """The four networks and the history, as tensors (what ``shipped_run`` reads back)."""
        out = {k: v.detach().clone() for k, v in self._weights_state().items()}
        for name, values in asdict(self.history_).items():
            out[f"history.{name}"] = torch.tensor(values, dtype=torch.float64)
        out["meta"] = torch.tensor([self.step_], dtype=torch.int64)
        return out


# ---------------------------------------------------------------- the two shipped runs

SHIPPED_SEED = 0


def shipped_name(cycle: bool) -> str:
    return "cycle_on" if cycle else "cycle_off"


def recipe(cycle: bool) -> weights.Trained:
    """Train the default run (moons → circles, seed 0) with the cycle loss on or off, for its planned length."""
    from engine.core.training import Budget

    t0 = time.perf_counter()
    cfg = CycleConfig(cycle=cycle)
    tr = CycleTrainer(domains(seed=SHIPPED_SEED), cfg, SHIPPED_SEED)
    tr.advance(Budget(max_steps=cfg.steps))
    h = tr.history_
    out = {"steps": tr.step_, "diverged": tr.diverged_, "cycle_test": round(h.latest("cycle_test"), 4),
           "cycle_test_start": round(h.cycle_test[0], 4), "mmd_ab": round(h.latest("mmd_ab"), 4),
           "mmd_ba": round(h.latest("mmd_ba"), 4), "seconds": round(time.perf_counter() - t0, 1)}
    return weights.Trained(tr.state_tensors(), asdict(cfg) | {"seed": SHIPPED_SEED, "domains": ["moons", "circles"]}, out)


@dataclass(frozen=True, eq=False)
class ShippedCycle:
    """A shipped run read back: its config, where it ends (``view``) and its history. Read-only."""

    cfg: CycleConfig
    view: CycleView
    history: CycleHistory
    step: int


def shipped_run(cycle: bool) -> ShippedCycle:
    """The shipped run with the cycle loss on or off (``python -m engine.regenerate gan cycle_on cycle_off``)."""
    state, entry = weights.load("gan", shipped_name(cycle))
    cfg = CycleConfig(**{k: tuple(v) if k == "betas" else v for k, v in entry["config"].items() if k in CycleConfig.__dataclass_fields__})
    tr = CycleTrainer(domains(seed=entry["config"]["seed"]), cfg, entry["config"]["seed"])
    tr.load_state_arrays({k: v.numpy() for k, v in state.items() if not k.startswith(("history.", "meta"))}, int(state["meta"][0]))
    values = {}
    for name in asdict(CycleHistory()):
        col = state[f"history.{name}"].tolist()
        values[name] = [int(v) for v in col] if name in ("step", "eval_step") else col
    return ShippedCycle(cfg, tr.view(), CycleHistory(**values), int(state["meta"][0]))
