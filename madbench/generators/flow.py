"""``flow``: a RealNVP-type normalising flow for vector data (the MAD paper's App. B.4).

Affine coupling layers with alternating masks; each layer's scale and shift come from a small
MLP (tanh-bounded log-scale). The data are standardised per coordinate before training and
the samples mapped back. Sampling bias: the latent is drawn from N(0, lambda I).

Presets (``preset=``): ``tiny`` (4 layers, width 32, 400 steps: seconds on a CPU) and ``paper``
(8 layers, width 64, 4000 steps, as in the paper). Any field can be overridden
(``layers``, ``width``, ``steps``, ``batch_size``, ``lr``). ``device``: ``cpu``, ``cuda``, or
None (CUDA when torch sees a GPU). The same seed on the same device gives the same samples.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from madbench.errors import InputError
from madbench.generators._flat import check_bias, check_fitted, flatten
from madbench.generators._torch import TorchGenerator, progress_bar, seeded
from madbench.types import PathLike

PRESETS = {
    "tiny": {"layers": 4, "width": 32, "steps": 400, "batch_size": 256, "lr": 3e-3},
    "paper": {"layers": 8, "width": 64, "steps": 4000, "batch_size": 512, "lr": 1e-3},
}


class _Coupling(nn.Module):
    """y = x on the masked coordinates; elsewhere y = x * exp(s(x_masked)) + t(x_masked)."""

    def __init__(self, mask: torch.Tensor, width: int):
        super().__init__()
        self.register_buffer("mask", mask)
        dim = mask.numel()
        self.net = nn.Sequential(
            nn.Linear(dim, width),
            nn.ReLU(),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, 2 * dim),
        )

    def _scale_shift(self, x_masked):
        s, t = self.net(x_masked).chunk(2, dim=1)
        keep = 1 - self.mask
        return torch.tanh(s) * keep, t * keep

    def forward(self, x):  # data -> latent, with log |det J|
        s, t = self._scale_shift(x * self.mask)
        return x * torch.exp(s) + t, s.sum(dim=1)

    def inverse(self, y):
        s, t = self._scale_shift(y * self.mask)
        return (y - t) * torch.exp(-s)


class _Flow(nn.Module):
    def __init__(self, dim: int, layers: int, width: int):
        super().__init__()
        base = (torch.arange(dim) % 2).float()
        self.layers = nn.ModuleList(
            _Coupling(base if i % 2 == 0 else 1 - base, width) for i in range(layers)
        )

    def log_prob(self, x):
        log_det = torch.zeros(len(x), device=x.device)
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return -0.5 * (x**2).sum(dim=1) - 0.5 * x.shape[1] * np.log(2 * np.pi) + log_det

    def inverse(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


class FlowGenerator(TorchGenerator):
    """RealNVP-type flow; see the module docstring for presets and the bias."""

    name, presets, bias_meaning = "flow", PRESETS, "scales the latent variance"

    def __init__(self, preset: str = "tiny", device: str | None = None, **overrides):
        super().__init__(preset, device, **overrides)
        self.model = self.shape_ = self.mean_ = self.std_ = None
        self.losses_: list[float] = []

    def fit(self, X: np.ndarray, *, seed: int = 0, progress: bool | None = None) -> FlowGenerator:
        x, self.shape_ = flatten(X, "flow")
        if x.shape[1] < 2:
            raise InputError(f"flow: coupling layers need at least 2 dimensions, got {x.shape[1]}")
        self.mean_, self.std_ = x.mean(axis=0), x.std(axis=0) + 1e-8
        data = torch.as_tensor(
            (x - self.mean_) / self.std_, dtype=torch.float32, device=self.device
        )
        s = self.settings
        with seeded(seed, self.device):
            self.model = _Flow(x.shape[1], s["layers"], s["width"]).to(self.device)
            optimiser = torch.optim.Adam(self.model.parameters(), lr=s["lr"])
            generator = torch.Generator(device=self.device).manual_seed(seed)
            self.losses_ = []
            for _ in progress_bar(range(s["steps"]), "train flow", progress):
                batch = data[
                    torch.randint(
                        len(data),
                        (min(s["batch_size"], len(data)),),
                        generator=generator,
                        device=self.device,
                    )
                ]
                loss = -self.model.log_prob(batch).mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                self.losses_.append(float(loss.detach()))
        self.model.eval()
        return self

    def sample(self, n: int, *, bias: float = 1.0, seed: int = 0) -> np.ndarray:
        check_fitted(self, "flow")
        generator = torch.Generator(device=self.device).manual_seed(seed)
        dim = len(self.mean_)
        with torch.no_grad():
            z = torch.randn(n, dim, generator=generator, device=self.device) * np.sqrt(
                check_bias(bias)
            )
            x = self.model.inverse(z).double().cpu().numpy()
        return (x * self.std_ + self.mean_).reshape(n, *self.shape_)

    def log_prob(self, X: np.ndarray) -> np.ndarray:
        """Log-density of each sample under the flow (nats, in the data's own units)."""
        check_fitted(self, "flow")
        x = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        z = torch.as_tensor((x - self.mean_) / self.std_, dtype=torch.float32, device=self.device)
        with torch.no_grad():
            return self.model.log_prob(z).double().cpu().numpy() - np.log(self.std_).sum()

    def save(self, directory: PathLike) -> None:
        self._write_checkpoint(
            directory,
            state=self.model.state_dict(),
            mean=torch.from_numpy(self.mean_),
            std=torch.from_numpy(self.std_),
            shape=self.shape_,
        )

    def load(self, directory: PathLike) -> FlowGenerator:
        saved = self._read_checkpoint(directory)
        self.mean_, self.std_ = saved["mean"].cpu().numpy(), saved["std"].cpu().numpy()
        self.shape_ = tuple(saved["shape"])
        self.model = _Flow(len(self.mean_), self.settings["layers"], self.settings["width"]).to(
            self.device
        )
        self.model.load_state_dict(saved["state"])
        self.model.eval()
        return self
