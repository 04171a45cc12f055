"""``ddpm``: a class-conditional DDPM (Ho et al. 2020) with classifier-free guidance.

Images in [0, 1], grayscale (n, height, width) or with C channels (n, height, width, C: RGB
sets such as ``shapes``, the paper's FFHQ/AFHQ class), height and width divisible by 4 (8x8
digits, 28x28 MNIST-type, 32x32 RGB), with one class label per image. Pixels are mapped to
[-1, 1]. A small U-Net (two resolution levels below the input, one residual block each, time and
class embeddings added in every block) predicts the noise; the noise schedule is linear, beta
from 1e-4 to 0.02 rescaled by 1000 / T so that any T reaches pure noise. Training drops the
label (replaced by a "no label" token) for ``label_dropout`` of the samples (10 %, as in the
paper), and keeps an exponential moving average (``ema``) of the weights, which is what
samples.

Sampling bias: classifier-free guidance eps = (1 + w) eps(x, y) - w eps(x, no label) with
w = 1 / lambda - 1, so lambda = 1 is plain conditional sampling and lambda = 0.5 is w = 1.
``sampler="ddpm"`` runs the T ancestral steps (predicted clean image clipped to [-1, 1]);
``sampler="ddim"`` runs ``sample_steps`` deterministic DDIM steps (eta = 0), much faster.

Presets (``preset=``): ``tiny`` (width 16, T = 50, 400 steps of 64 images: about 20 s on two
CPU cores for 8x8 digits, and a second per 100 samples), ``paper`` (width 64, T = 500 as in
the paper, 30000 steps of 128) and ``rgb32`` (width 128, T = 1000, 50000 steps of 128: sized
for 32x32 colour images, on a GPU). Any field can be overridden, e.g.
``--model-args preset=tiny,T=200,sampler=ddim,sample_steps=25``. ``device``: ``cpu``,
``cuda`` or None (CUDA when available). Same seed, same device, same model and samples.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from madbench.errors import InputError
from madbench.generators._flat import check_bias, check_fitted
from madbench.generators._torch import (
    TorchGenerator,
    check_images,
    check_labels,
    image_layout,
    progress_bar,
    seeded,
    to_samples,
)
from madbench.types import PathLike

PRESETS = {
    "tiny": {
        "width": 16,
        "T": 50,
        "steps": 400,
        "batch_size": 64,
        "lr": 3e-3,
        "ema": 0.99,
        "label_dropout": 0.1,
        "sampler": "ddpm",
        "sample_steps": 20,
        "sample_batch": 2000,
    },
    "paper": {
        "width": 64,
        "T": 500,
        "steps": 30000,
        "batch_size": 128,
        "lr": 2e-4,
        "ema": 0.9995,
        "label_dropout": 0.1,
        "sampler": "ddpm",
        "sample_steps": 100,
        "sample_batch": 2000,
    },
    "rgb32": {
        "width": 128,
        "T": 1000,
        "steps": 50000,
        "batch_size": 128,
        "lr": 2e-4,
        "ema": 0.9999,
        "label_dropout": 0.1,
        "sampler": "ddim",
        "sample_steps": 100,
        "sample_batch": 1000,
    },
}
SAMPLERS = ("ddpm", "ddim")


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(8, channels), channels)


class _Block(nn.Module):
    """Residual block: norm, SiLU, conv; add the embedding; norm, SiLU, conv; skip."""

    def __init__(self, c_in: int, c_out: int, emb: int):
        super().__init__()
        self.first = nn.Sequential(_norm(c_in), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, padding=1))
        self.emb = nn.Linear(emb, c_out)
        self.second = nn.Sequential(_norm(c_out), nn.SiLU(), nn.Conv2d(c_out, c_out, 3, padding=1))
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x, emb):
        h = self.first(x) + self.emb(emb)[:, :, None, None]
        return self.skip(x) + self.second(h)


class _UNet(nn.Module):
    """Noise predictor eps(x_t, t, y) at full, half and quarter resolution.

    ``y == n_classes`` is the "no label" token of classifier-free guidance.
    """

    def __init__(self, width: int, n_classes: int, channels: int = 1):
        super().__init__()
        c1, c2, emb = width, 2 * width, 4 * width
        self.width = width
        self.time = nn.Sequential(nn.Linear(width, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(n_classes + 1, emb)
        self.inp = nn.Conv2d(channels, c1, 3, padding=1)
        self.down1, self.pool1 = _Block(c1, c1, emb), nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.down2, self.pool2 = _Block(c1, c2, emb), nn.Conv2d(c2, c2, 3, stride=2, padding=1)
        self.mid = _Block(c2, c2, emb)
        self.up2, self.up1 = _Block(2 * c2, c2, emb), _Block(c2 + c1, c1, emb)
        self.out = nn.Sequential(_norm(c1), nn.SiLU(), nn.Conv2d(c1, channels, 3, padding=1))

    def _time_features(self, t):
        half = self.width // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
        angles = t.float()[:, None] * freqs[None]
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    def forward(self, x, t, y):
        emb = self.time(self._time_features(t)) + self.label(y)
        h1 = self.down1(self.inp(x), emb)
        h2 = self.down2(self.pool1(h1), emb)
        h = self.mid(self.pool2(h2), emb)
        h = self.up2(torch.cat([F.interpolate(h, scale_factor=2.0), h2], dim=1), emb)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0), h1], dim=1), emb)
        return self.out(h)


class _Schedule:
    """The linear beta schedule of length T and the products DDPM and DDIM need (float64)."""

    def __init__(self, T: int, device: torch.device):
        scale = 1000.0 / T
        betas = torch.linspace(1e-4 * scale, min(0.02 * scale, 0.999), T, dtype=torch.float64)
        self.betas = betas
        self.alpha_bar = torch.cumprod(1 - betas, dim=0)
        self.device = device

    def at(self, values: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """``values[t]`` as float32 on the device, shaped to broadcast over images."""
        return values.to(self.device)[t].float()[:, None, None, None]


class DDPMGenerator(TorchGenerator):
    """Conditional DDPM; see the module docstring for presets, samplers and the bias."""

    name, presets = "ddpm", PRESETS
    bias_meaning = "classifier-free guidance w = 1/lambda - 1"
    fractions = ("ema", "label_dropout")
    conditional = True
    data_kinds = ("image",)

    def __init__(self, preset: str = "tiny", device: str | None = None, **overrides):
        super().__init__(preset, device, **overrides)
        if self.settings["sampler"] not in SAMPLERS:
            raise InputError(
                f"ddpm: unknown sampler {self.settings['sampler']!r}; choose one of {SAMPLERS}"
            )
        T, sample_steps = self.settings["T"], self.settings["sample_steps"]
        if not (isinstance(T, int) and T >= 2 and isinstance(sample_steps, int)):
            raise InputError(
                f"ddpm: T and sample_steps must be integers, got {T!r}, {sample_steps!r}"
            )
        if not 2 <= sample_steps <= T:
            raise InputError(f"ddpm: sample_steps must be in [2, T = {T}], got {sample_steps}")
        self.schedule = _Schedule(T, self.device)
        self.net = self.ema_net = self.shape_ = self.n_classes_ = None
        self.losses_: list[float] = []

    # -- training ---------------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        *,
        seed: int = 0,
        labels: np.ndarray | None = None,
        progress: bool | None = None,
    ) -> DDPMGenerator:
        """Train from scratch on images ``X`` with class ``labels`` (int, one per image)."""
        x = check_images(X, "ddpm")
        y = check_labels(labels, len(x), "ddpm")
        self.shape_, self.n_classes_ = tuple(np.shape(X)[1:]), int(y.max()) + 1
        with seeded(seed, self.device):
            self.net = _UNet(self.settings["width"], self.n_classes_, x.shape[1]).to(self.device)
        self.ema_net = copy.deepcopy(self.net).requires_grad_(False)
        self.losses_ = []
        return self._train(x, y, seed, progress)

    def partial_fit(
        self,
        X: np.ndarray,
        *,
        seed: int = 0,
        labels: np.ndarray | None = None,
        progress: bool | None = None,
    ) -> DDPMGenerator:
        """Go on training the current weights on ``X`` for ``steps`` more steps (warm start)."""
        if self.net is None:
            return self.fit(X, seed=seed, labels=labels, progress=progress)
        x = check_images(X, "ddpm")
        if tuple(np.shape(X)[1:]) != self.shape_:
            raise InputError(f"ddpm: was trained on {self.shape_} images, got {np.shape(X)[1:]}")
        return self._train(x, check_labels(labels, len(x), "ddpm", self.n_classes_), seed, progress)

    def _train(self, x: np.ndarray, y: np.ndarray, seed: int, progress) -> DDPMGenerator:
        s, dev = self.settings, self.device
        data = torch.as_tensor(2 * x - 1, device=dev)
        classes = torch.as_tensor(y, device=dev)
        batch = min(s["batch_size"], len(data))
        optimiser = torch.optim.Adam(self.net.parameters(), lr=s["lr"])
        alpha_bar = self.schedule.alpha_bar
        self.net.train()
        with seeded(seed + 1, dev):
            for _ in progress_bar(range(s["steps"]), "train ddpm", progress):
                rows = torch.randint(len(data), (batch,), device=dev)
                x0, label = data[rows], classes[rows]
                dropped = torch.rand(batch, device=dev) < s["label_dropout"]
                label = torch.where(dropped, torch.full_like(label, self.n_classes_), label)
                t = torch.randint(s["T"], (batch,), device=dev)
                noise = torch.randn_like(x0)
                a = self.schedule.at(alpha_bar, t)
                loss = F.mse_loss(self.net(a.sqrt() * x0 + (1 - a).sqrt() * noise, t, label), noise)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                self._update_ema()
                self.losses_.append(float(loss.detach()))
        self.net.eval()
        return self

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = self.settings["ema"]
        for avg, live in zip(self.ema_net.parameters(), self.net.parameters(), strict=True):
            avg.lerp_(live, 1 - decay)  # the U-Net has no buffers (group norm keeps no stats)

    # -- sampling ---------------------------------------------------------------------------
    def sample(
        self, n: int, *, bias: float = 1.0, seed: int = 0, labels: np.ndarray | None = None
    ) -> np.ndarray:
        """``n`` images in [0, 1] of classes ``labels`` (default: every class equally often)."""
        check_fitted(self, "ddpm")
        if labels is None:
            labels = np.random.default_rng(seed).permutation(np.arange(n) % self.n_classes_)
        y = torch.as_tensor(check_labels(labels, n, "ddpm", self.n_classes_), device=self.device)
        w = 1.0 / check_bias(bias) - 1.0
        generator = torch.Generator(device=self.device).manual_seed(seed)
        size = self.settings["sample_batch"]
        out = [self._denoise(y[i : i + size], w, generator) for i in range(0, n, size)]
        images = torch.cat(out) if out else torch.empty(0, *image_layout(self.shape_))
        return ((to_samples(images, self.shape_) + 1) / 2).clip(0.0, 1.0)

    def _guided_noise(self, x, t, y, w: float):
        steps = torch.full((len(x),), t, device=self.device)
        if w == 0.0:
            return self.ema_net(x, steps, y)
        no_label = torch.full_like(y, self.n_classes_)
        both = self.ema_net(torch.cat([x, x]), torch.cat([steps, steps]), torch.cat([y, no_label]))
        conditional, unconditional = both.chunk(2)
        return (1 + w) * conditional - w * unconditional

    @torch.no_grad()
    def _denoise(self, y, w: float, generator) -> torch.Tensor:
        s, sched = self.settings, self.schedule
        layout = image_layout(self.shape_)
        x = torch.randn(len(y), *layout, generator=generator, device=self.device)
        if s["sampler"] == "ddim":
            times = np.linspace(s["T"] - 1, 0, s["sample_steps"]).round().astype(int)
        else:
            times = np.arange(s["T"] - 1, -1, -1)
        for i, t in enumerate(times):
            a = float(sched.alpha_bar[t])
            eps = self._guided_noise(x, int(t), y, w)
            x0 = ((x - math.sqrt(1 - a) * eps) / math.sqrt(a)).clamp(-1, 1)
            if t == 0:
                return x0
            if s["sampler"] == "ddim":
                a_prev = float(sched.alpha_bar[times[i + 1]])
                eps = (x - math.sqrt(a) * x0) / math.sqrt(1 - a)
                x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps
            else:  # the posterior q(x_{t-1} | x_t, x0) with x0 predicted
                a_prev, beta = float(sched.alpha_bar[t - 1]), float(sched.betas[t])
                mean = (math.sqrt(a_prev) * beta * x0 + math.sqrt(1 - beta) * (1 - a_prev) * x) / (
                    1 - a
                )
                std = math.sqrt(beta * (1 - a_prev) / (1 - a))
                x = mean + std * torch.randn(x.shape, generator=generator, device=self.device)
        return x

    # -- checkpoints ------------------------------------------------------------------------
    def save(self, directory: PathLike) -> None:
        self._write_checkpoint(
            directory,
            net=self.net.state_dict(),
            ema=self.ema_net.state_dict(),
            shape=self.shape_,
            n_classes=self.n_classes_,
        )

    def load(self, directory: PathLike) -> DDPMGenerator:
        saved = self._read_checkpoint(directory)
        self.shape_, self.n_classes_ = tuple(saved["shape"]), saved["n_classes"]
        self.schedule = _Schedule(self.settings["T"], self.device)
        channels = image_layout(self.shape_)[0]
        self.net = _UNet(self.settings["width"], self.n_classes_, channels).to(self.device)
        self.net.load_state_dict(saved["net"])
        self.net.eval()
        self.ema_net = copy.deepcopy(self.net).requires_grad_(False)
        self.ema_net.load_state_dict(saved["ema"])
        return self
