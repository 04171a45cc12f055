"""Outside adapters for the tests: one honest, several broken. None imports madbench."""

import numpy as np


class Honest:
    """Fits a mean and a spread per coordinate; lambda scales the spread."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, *, seed):
        X = np.asarray(X, dtype=float)
        self.shape, self.mean, self.std = X.shape[1:], X.mean(0), X.std(0)
        return self

    def sample(self, n, *, bias=1.0, seed):
        rng = np.random.default_rng(seed)
        return self.mean + self.scale * bias * self.std * rng.standard_normal((n, *self.shape))


class RaisesInFit(Honest):
    def fit(self, X, *, seed):
        raise RuntimeError("out of memory")


class ReturnsNaN(Honest):
    def sample(self, n, *, bias=1.0, seed):
        out = super().sample(n, bias=bias, seed=seed)
        out[0, 0] = np.nan
        return out


class WrongShape(Honest):
    def sample(self, n, *, bias=1.0, seed):
        return super().sample(n, bias=bias, seed=seed)[:, :1]


class WrongCount(Honest):
    def sample(self, n, *, bias=1.0, seed):
        return super().sample(n + 1, bias=bias, seed=seed)


class IgnoresSeed(Honest):
    def sample(self, n, *, bias=1.0, seed):
        return super().sample(n, bias=bias, seed=np.random.randint(1 << 30))


class FitReturnsNone(Honest):
    def fit(self, X, *, seed):
        super().fit(X, seed=seed)


class NoSample:
    def fit(self, X, *, seed):
        return self


class WarmMean:
    """Keeps a running mean over every fit/partial_fit: warm starts are visible in its state."""

    def fit(self, X, *, seed):
        X = np.asarray(X, dtype=float)
        self.shape, self.total, self.count = X.shape[1:], X.sum(0), len(X)
        return self

    def partial_fit(self, X, *, seed):
        X = np.asarray(X, dtype=float)
        self.total, self.count = self.total + X.sum(0), self.count + len(X)
        return self

    def sample(self, n, *, bias=1.0, seed):
        rng = np.random.default_rng(seed)
        return self.total / self.count + bias * rng.standard_normal((n, *self.shape))

    def save(self, directory):
        np.savez(f"{directory}/state.npz", total=self.total, count=self.count, shape=self.shape)

    def load(self, directory):
        f = np.load(f"{directory}/state.npz")
        self.total, self.count, self.shape = f["total"], int(f["count"]), tuple(f["shape"])
        return self


class ClassMeans:
    """Conditional: one mean per class; sample(labels=...) draws around the requested classes."""

    conditional = True

    def fit(self, X, *, seed, labels):
        X, labels = np.asarray(X, dtype=float), np.asarray(labels)
        self.shape = X.shape[1:]
        self.seen = np.bincount(labels, minlength=10)
        self.means = {c: X[labels == c].mean(0) for c in np.unique(labels)}
        return self

    def sample(self, n, *, bias=1.0, seed, labels):
        rng = np.random.default_rng(seed)
        base = np.stack([self.means[c] for c in labels])
        return np.clip(base + 0.05 * bias * rng.standard_normal(base.shape), 0, 1)


class OutOfRange(Honest):
    """Writes pixels outside [0, 1] and between levels: a third at 1.5, a third at -0.25,
    a third at 0.33 (which digits' 17 levels store as 5/16)."""

    def sample(self, n, *, bias=1.0, seed):
        values = np.resize(np.array([1.5, -0.25, 0.33]), int(np.prod(self.shape)))
        return np.tile(values.reshape(self.shape), (n,) + (1,) * len(self.shape))


class SaveRaises(Honest):
    """A checkpointing model (save and load) whose save fails."""

    def save(self, directory):
        raise OSError("disk quota exceeded")

    def load(self, directory):
        return self


class SaveDiskFull(SaveRaises):
    def save(self, directory):
        import errno

        raise OSError(errno.ENOSPC, "No space left on device", f"{directory}/weights.bin")


class MetaRaises(Honest):
    def meta(self):
        return {"depth": self.depth}  # no such attribute: AttributeError


class Huge(Honest):
    def sample(self, n, *, bias=1.0, seed):
        return super().sample(n, bias=bias, seed=seed) * 1e300


class IgnoresBias(Honest):
    def sample(self, n, *, bias=1.0, seed):
        return super().sample(n, bias=1.0, seed=seed)


class ImagesOnly(Honest):
    data_kinds = ("image",)

    def fit(self, X, *, seed):
        if np.asarray(X).ndim != 3:
            raise ValueError("images only")
        return super().fit(X, seed=seed)


class ShrunkMixture:
    """A diagonal Gaussian mixture; samples are pulled toward their component's mean by
    ``shrink`` (and lambda). Its constructor arguments are kept as attributes of their names."""

    def __init__(self, n_components=4, shrink=1.0):
        self.n_components, self.shrink = n_components, shrink

    def fit(self, X, *, seed):
        from sklearn.mixture import GaussianMixture

        self.shape = X.shape[1:]
        self.gmm = GaussianMixture(self.n_components, covariance_type="diag", random_state=seed)
        self.gmm.fit(X.reshape(len(X), -1))
        return self

    def sample(self, n, *, bias=1.0, seed):
        rng = np.random.default_rng(seed)
        component = rng.choice(self.n_components, size=n, p=self.gmm.weights_)
        noise = rng.standard_normal((n, self.gmm.means_.shape[1]))
        spread = self.shrink * bias * np.sqrt(self.gmm.covariances_[component])
        return (self.gmm.means_[component] + spread * noise).reshape(n, *self.shape)


class HidesItsArguments(Honest):
    """Keeps its constructor argument under another name: it cannot be read back."""

    def __init__(self, scale=1.0):
        self._scale = scale


class TakesAFunction(Honest):
    def __init__(self, transform=np.tanh):
        self.transform = transform


class PartialFitReturnsNone(WarmMean):
    def partial_fit(self, X, *, seed):
        super().partial_fit(X, seed=seed)


class MetaNotADict(Honest):
    def meta(self):
        return ["depth", 3]
