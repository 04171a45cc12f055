"""The range of every metric madbench reports: intervals are clipped to it (the quantity an
interval is for lies inside it, so clipping never drops it), and claims flag a metric that
reaches one of its ends (a slope flattens at a floor or a ceiling). A module with no imports,
for the leaderboard and the metrics alike."""

#: Each metric's range (None: unbounded on that side).
METRIC_BOUNDS = {
    "precision": (0.0, 1.0),
    "recall": (0.0, 1.0),
    "coverage": (0.0, 1.0),
    "density": (0.0, None),
    "fid": (0.0, None),
    "w2": (0.0, None),
    "trace_cov": (0.0, None),
    "vendi": (1.0, None),
    "memorised_p": (0.0, 1.0),
    "clipped_frac": (0.0, 1.0),
    **dict.fromkeys(
        ("distinct_1", "distinct_2", "distinct_3", "self_bleu", "tail_mass", "ngram2_recall"),
        (0.0, 1.0),
    ),
    "ngram2_precision": (0.0, 1.0),
    **dict.fromkeys(("mauve", "exact_copies", "near_copies"), (0.0, 1.0)),
    **dict.fromkeys(
        ("perplexity", "perplexity_q50", "perplexity_q90", "perplexity_q95"), (1.0, None)
    ),
    **dict.fromkeys(
        ("precision_cover", "recall_cover", "p_precision", "p_recall", "clipped_density"),
        (0.0, 1.0),
    ),
    "clipped_coverage": (0.0, 1.0),
    "rarity": (0.0, None),
    "rke": (1.0, None),
    "cmmd": (0.0, None),
    "unigram_entropy": (0.0, None),
    "vocabulary": (0.0, None),
}
