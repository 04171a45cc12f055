"""Text as a modality: tokenizers (:mod:`~madbench.text.tokenizers`) for the text data sets of
:mod:`madbench.data.text`, the n-gram LM (:mod:`madbench.generators.ngram`) and the metrics of
:mod:`madbench.metrics.text`."""
