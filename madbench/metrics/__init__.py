"""Metrics on feature arrays, real set first and generated set second (feature networks:
:mod:`madbench.features`).

The metric functions are re-exported here, loaded on first use (``import madbench.metrics``
stays light)::

    from madbench.metrics import knn_metrics, fid_from_features, kid, vendi_score
"""

#: Public name: the module that defines it.
EXPORTS = {
    "knn_metrics": "knn",
    "knn_radii": "knn",
    "knn_sqradii": "knn",
    "KnnMetrics": "knn",
    "fid_from_features": "frechet",
    "frechet_distance": "frechet",
    "fit_gaussian": "frechet",
    "wasserstein2": "frechet",
    "GaussianStats": "frechet",
    "kid": "kid",
    "kid_variance": "kid",
    "real_norm_scale": "kid",
    "KidResult": "kid",
    "vendi_score": "vendi",
    "copying_metrics": "copying",
    "CopyingMetrics": "copying",
    "fid_infinity": "fid_infinity",
    "all_metrics": "report",
    "MetricReport": "report",
    "half_sample_intervals": "intervals",
    "precision_variance": "intervals",
}
__all__ = sorted(EXPORTS)


def __getattr__(name):
    if name in EXPORTS:
        from importlib import import_module

        return getattr(import_module(f"madbench.metrics.{EXPORTS[name]}"), name)
    raise AttributeError(f"module 'madbench.metrics' has no attribute {name!r}")
