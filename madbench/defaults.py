"""Every default a user can change, defined once (a module with no heavy imports, so that the
command line can show them in its help without loading torch)."""

#: Family-wise level of every test madbench makes: a suite's claims (Holm), the MAD and copying
#: onsets (Holm over generations), a re-run's comparison with its published board.
ALPHA = 0.05
#: Neighbours of the k-NN metrics (precision, recall, density, coverage), as in the MAD paper.
K = 5
#: Bytes for one block of distances and its temporaries; sets block sizes, never results.
MEMORY_BUDGET = 512 * 2**20
#: KID: subsets, and samples per subset (clean-fid's defaults).
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
#: Epochs of ``madbench features train-lenet``.
LENET_EPOCHS = 8
