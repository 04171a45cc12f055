"""Every default a user can change, defined once (a module with no heavy imports, so that the
command line can show them in its help without loading torch)."""

#: Family-wise level of every test madbench makes: a suite's claims (Holm), the MAD and copying
#: onsets (Holm over generations), a re-run's comparison with its published board.
ALPHA = 0.05
#: Neighbours of the k-NN metrics (precision, recall, density, coverage), as in the MAD paper.
K = 5
#: Precision and recall cover (:mod:`madbench.metrics.cover`): each ball is that of the
#: (COVER_C x COVER_K)-th neighbour and must hold COVER_K points of the other set (the
#: authors' defaults, k = 3 and k' = 3k).
COVER_K = 3
COVER_C = 3
#: Probabilistic precision and recall (:mod:`madbench.metrics.probabilistic`): balls of
#: PPR_A times the mean PPR_K-th neighbour distance (the authors' defaults).
PPR_K = 4
PPR_A = 1.2
#: CMMD (:mod:`madbench.metrics.cmmd`): the Gaussian kernel's bandwidth sigma (feature units)
#: and the factor the MMD is multiplied by, the authors' values for unit-norm CLIP embeddings.
CMMD_SIGMA = 10.0
CMMD_SCALE = 1000.0
#: Neighbour-search back ends: ``auto`` (torch, on the GPU when torch sees one; FAISS's IVF
#: index when an approximate search is asked for), ``torch``, ``faiss``.
BACKENDS = ("auto", "torch", "faiss")
BACKEND = "auto"
#: Bytes for one block of distances and its temporaries; sets block sizes, never results.
MEMORY_BUDGET = 512 * 2**20
#: KID: subsets, and samples per subset (clean-fid's defaults).
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
#: KID's feature scales: ``real-norm`` divides both sets by the real features' mean norm over
#: sqrt(d) before the cubic kernel (for feature spaces other than Inception's), ``none``
#: leaves them (clean-fid's KID; :mod:`madbench.metrics.kid`).
KID_SCALES = ("real-norm", "none")
#: KID's scale for features given to ``compute_metrics`` and ``madbench metrics``: clean-fid's,
#: since such features are most often Inception's.
KID_SCALE = "none"
#: KID's scale in a loop's scoring, by feature space: clean-fid's (``none``) in Inception's,
#: whose pool3 features are of the order the cubic kernel assumes; ``real-norm`` in every other
#: space (LeNet's 84 activations, raw vectors, DINOv2), where x . y / d is far from 1.
LOOP_KID_SCALE = {"inception": "none"}
LOOP_KID_SCALE_OTHERWISE = "real-norm"
#: Half-sample replicates of an interval (:mod:`madbench.metrics.intervals`): a loop's
#: per-generation intervals and ``compute_metrics(intervals=...)``.
REPLICATES = 100
#: Epochs of ``madbench features train-lenet``.
LENET_EPOCHS = 8
