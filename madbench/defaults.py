"""Every default a user can change, defined once (a module with no heavy imports, so that the
command line can show them in its help without loading torch)."""

#: Family-wise level of every test madbench makes: a suite's claims (Holm), the MAD and copying
#: onsets (Holm over generations), a re-run's comparison with its published board.
ALPHA = 0.05
#: Neighbours of the k-NN metrics (precision, recall, density, coverage), as in the MAD paper.
K = 5
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
#: KID's scale in a loop's scoring, whatever its feature space. Its RGB image sets score in
#: Inception's space by default, where this differs from clean-fid's KID (``none``): a
#: choice per feature space is still to be made (it would change those runs' configs).
LOOP_KID_SCALE = "real-norm"
#: Epochs of ``madbench features train-lenet``.
LENET_EPOCHS = 8
