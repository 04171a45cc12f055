"""The columns of ``results.csv``: one row per generation, one comment per column.

Empty cells mean "not applicable" (e.g. ``w2`` for image data) or "not computed" (a failed
generation).
"""

from madbench.metrics.names import (
    CMMD_KEYS,
    LATER_KEYS,
    LOOP_INTERVAL_KEYS,
    PERPLEXITY_KEYS,
    TEXT_KEYS,
)

COLUMNS = {
    "generation": "t; 0 is the noise floor: held-out real samples scored against real train ones",
    "status": "ok, or failed (then 'error' says why)",
    "precision": "k-NN precision of the generation's samples against held-out real samples",
    "recall": "k-NN recall (same sets)",
    "density": "k-NN density (same sets; can exceed 1)",
    "coverage": "k-NN coverage (same sets)",
    "fid": "Frechet distance between Gaussians fitted to the two feature sets",
    "fid_inf": "FID-infinity: FID extrapolated to infinitely many samples from FIDs of both "
    "sets' subsets at 15 sizes (madbench.metrics.fid_infinity; Chong and Forsyth 2020); empty "
    "where eval_n is below 4 times the feature dimension",
    "fid_floor": "generation 0: the noise floor's FID, the mean over up to 5 disjoint draws of "
    "eval_n real training samples scored against the held-out set (the first is generation "
    "0's own row); what a model that samples the training distribution exactly would get",
    "fid_floor_sd": "generation 0: the standard deviation of those draws' FIDs (empty with one "
    "draw)",
    "floor_draws": "generation 0: how many draws the floor holds (fewer than 5 where the train "
    "split holds fewer than 5 x eval_n samples)",
    "kid": "KID mean over seeded subsets, features divided by kid_scale",
    "kid_std": "KID standard deviation over subsets (at least 2 distinct subsets: a subset "
    "holds half of a set no larger than the subset size)",
    "vendi": "Vendi score (order 1, cosine kernel) of the generation's scored samples: their "
    "effective number of distinct samples (madbench.metrics.vendi)",
    "ct": "Meehan et al.'s data-copying statistic C_T of the scored samples against the "
    "generation's training set, with a reference drawn like that set but never trained on; near "
    "0: samples as close to the training set as fresh ones, below -3: closer, by copying or by "
    "contraction (lambda < 1), which memorised_p tells apart (madbench.metrics.copying); empty "
    "at generation 0",
    "authenticity": "1 - memorised: the estimated share of scored samples that are no copies "
    "of training samples; empty at generation 0",
    "memorised": "the estimated share of scored samples that are copies: (f - f0) / (1 - f0), "
    "f the fraction whose nearest row of training set + reference is a training row and f0 "
    "its mean under no copying (about 0 for a model that does not copy, 1 for a memoriser); "
    "empty at generation 0",
    "memorised_p": "one-sided p-value of the memorisation test (f above f0, permutation "
    "distribution within each source of rows): small means copying; empty at generation 0",
    "rarity": "with --metrics rarity: the mean rarity score (Han et al.) of the scored samples "
    "inside some real ball, in feature units: the smallest k-NN radius of the real balls that "
    "hold each (madbench.metrics.later)",
    "precision_cover": "with --metrics cover: the share of scored samples whose 9th-neighbour "
    "ball among them holds at least 3 held-out samples (Cheema and Urner; k = 3, c = 3; "
    "madbench.metrics.cover)",
    "recall_cover": "with --metrics cover: the share of held-out samples whose 9th-neighbour "
    "ball among them holds at least 3 scored samples",
    "p_precision": "with --metrics probabilistic: Park and Kim's P-precision (balls of 1.2 "
    "times the mean 4-NN distance; madbench.metrics.probabilistic)",
    "p_recall": "with --metrics probabilistic: P-recall (same, roles swapped)",
    "clipped_density": "with --metrics clipped: Salvy et al.'s clipped density, the run's k and "
    "rule (madbench.metrics.clipped)",
    "clipped_coverage": "with --metrics clipped: clipped coverage, calibrated to the share of "
    "scored samples that follow the held-out distribution",
    "rke": "with --metrics rke: the RKE mode count of the scored samples (Jalali et al.; "
    "Gaussian kernel of bandwidth the held-out samples' median k-NN distance; "
    "madbench.metrics.rke)",
    "cmmd": "with --metrics cmmd: CMMD of the scored samples against the held-out ones "
    "(Jayasumana et al.; Gaussian-kernel MMD, sigma 10, times 1000; madbench.metrics.cmmd): "
    "CMMD proper with --features clip",
    **{
        f"{metric}_ci_{end}": f"{end} end of the 95 % interval of {metric}, resampling both "
        "the generated and the held-out set (half-sampling; KID's and precision's from their "
        "variances: madbench.metrics.intervals); empty with eval_n below 32"
        for metric in LOOP_INTERVAL_KEYS
        for end in ("low", "high")
    },
    "w2": "vector data: 2-Wasserstein distance of the Gaussian fitted to the samples from the "
    "true distribution (gaussian-<d>) or from the held-out real samples; empty for images",
    "trace_cov": "vector data: trace of the generated samples' covariance (MAD's total variance)",
    "distinct_1": "text data: distinct words / words over the generation's scored documents "
    "(word tokens, madbench.metrics.text); empty for vectors and images",
    "distinct_2": "text data: distinct bigrams / bigrams (same documents)",
    "distinct_3": "text data: distinct trigrams / trigrams (same documents)",
    "self_bleu": "text data: mean BLEU-4 of each scored document against the others (up to 500, "
    "smoothing 1); higher: more alike documents",
    "unigram_entropy": "text data: entropy of the scored documents' word frequencies, in nats",
    "zipf_slope": "text data: least-squares slope of log count on log rank over every word type",
    "vocabulary": "text data: word types in the scored documents",
    "ngram2_recall": "text data: the share of the held-out documents' bigram types the scored "
    "documents hold",
    "ngram2_precision": "text data: the share of the scored documents' bigram types the held-out "
    "documents hold",
    "mauve": "text data: MAUVE of the scored documents against the held-out ones in the run's "
    "feature space (k-means on both sets' features, k a tenth of the smaller set, c = 5; "
    "madbench.metrics.mauve): 1 for equal distributions, near 0 for disjoint ones",
    "exact_copies": "text data: the share of scored documents whose word tokens are those of a "
    "document of the generation's training set (madbench.metrics.text_copying); empty at "
    "generation 0 and without the copying metrics",
    "near_copies": "text data: the share of scored documents that share at least 80 % of their "
    "distinct word 4-grams with one training document (exact copies included)",
    "perplexity": "text models with log_likelihood: corpus perplexity of the held-out real "
    "documents under the generation's model, exp(-sum log p / tokens); empty at generation 0 "
    "and not re-scored (it needs the model)",
    "perplexity_q50": "text: median per-document perplexity of the held-out documents",
    "perplexity_q90": "text: 90th percentile of per-document perplexity",
    "perplexity_q95": "text: 95th percentile of per-document perplexity (generation 1's is the "
    "tail threshold)",
    "tail_mass": "text: the share of held-out documents whose perplexity exceeds generation 1's "
    "95th percentile (about 0.05 at generation 1; it grows as the model forgets the tails)",
    "clipped_frac": "image data: fraction of the scored sample's values outside the data's "
    "range before every sample was clipped and quantised to its levels; empty for vectors",
    "reward": "mean reward of the generation's scored samples (generation 0: of the noise "
    "floor's real draw) under the run's reward: the curation's, or scoring's reward "
    "(madbench.loops.rewards); empty without one",
    "n_drawn": "synthetic samples the generation's model drew for the next one's training set "
    "before curation and selection kept n_synth of them (madbench.loops.feedback); empty "
    "without either",
    "features": "feature space of the metrics (madbench.features.spaces): identity, lenet, "
    "inception, dinov2-vit<size>14, clip or a module:Class spec",
    "kid_scale": "KID's features were divided by this (the real features' mean norm / sqrt(d), "
    "or 1 with kid_scale none)",
    "intervals": "half-sample replicates of the 95 % intervals (0: none)",
    "bias": "sampling bias lambda used to draw the generation's samples",
    "k": "neighbours of the k-NN metrics",
    "rule": "ball membership rule of the k-NN metrics (<=, or < with strict scoring)",
    "n_train": "samples the generation's model was trained on",
    "n_train_real": "real samples among them",
    "n_train_synth": "synthetic samples among them",
    "eval_n": "generated and held-out real samples per evaluation",
    "seed": "the run's seed (each generation derives its own seeds from it and t)",
    "protocol": "protocol name",
    "protocol_hash": "content hash of the resolved protocol (madbench.loops.protocol)",
    "data": "data set name",
    "model": "model spec as given to --model",
    "fit_seconds": "wall time of fit()",
    "sample_seconds": "wall time of sample() for training and evaluation samples",
    "metric_seconds": "wall time of the metrics",
    "error": "for failed generations: what failed, with the generation and its seed",
}

#: results.csv's columns by run format (config.json's ``format``), which is the file's schema
#: version. A reader takes the columns of the run's own format; when a later format changes
#: the columns, the earlier ones stay here, so that their runs still read.
FORMAT_5 = (
    *("generation", "status", "precision", "recall", "density", "coverage", "fid", "kid"),
    *("kid_std", "vendi", "ct", "authenticity", "memorised", "memorised_p"),
    *(
        f"{m}_ci_{end}"
        for m in ("fid", "precision", "recall", "density", "coverage")
        for end in ("low", "high")
    ),
    *("w2", "trace_cov", "clipped_frac", "features", "kid_scale", "bootstrap", "bias", "k"),
    *("rule", "n_train", "n_train_real", "n_train_synth", "eval_n", "seed", "protocol"),
    *("protocol_hash", "data", "model", "fit_seconds", "sample_seconds", "metric_seconds"),
    "error",
)
FORMAT_4 = tuple(c for c in FORMAT_5 if c != "memorised_p")
FORMAT_3 = tuple(c for c in FORMAT_4 if c not in ("vendi", "ct", "authenticity", "memorised"))
FORMAT_12 = tuple(c for c in COLUMNS if c not in CMMD_KEYS)
FORMAT_11 = tuple(c for c in FORMAT_12 if c not in LATER_KEYS)
FORMAT_10 = tuple(c for c in FORMAT_11 if c not in ("reward", "n_drawn"))
FORMAT_9 = tuple(c for c in FORMAT_10 if c not in ("mauve", "exact_copies", "near_copies"))
FORMAT_8 = tuple(c for c in FORMAT_9 if c not in (*TEXT_KEYS, *PERPLEXITY_KEYS))
COLUMNS_BY_FORMAT = {
    3: FORMAT_3,
    4: FORMAT_4,
    5: FORMAT_5,
    6: FORMAT_8,
    7: FORMAT_8,
    8: FORMAT_8,
    9: FORMAT_9,
    10: FORMAT_10,
    11: FORMAT_11,
    12: FORMAT_12,
    13: tuple(COLUMNS),
}
