"""Feature networks and spaces: what the metrics (:mod:`madbench.metrics`) compare.

A pipeline runs features -> statistics -> metric: samples become feature arrays here, and
every metric takes feature arrays, real set first. The modules:

- :mod:`~madbench.features.spaces`: a run's feature space by name (``identity``, ``lenet``,
  ``inception``, ``dinov2[-variant]`` or ``package.module:Class``), the extractor contract
  (:class:`~madbench.features.spaces.FeatureExtractor`) and each space's digest;
- :mod:`~madbench.features.extractors`: identity features and Inception-v3 through clean-fid;
- :mod:`~madbench.features.dinov2`: DINOv2 ViTs (FD-DINOv2's space);
- :mod:`~madbench.features.lenet`: the LeNet madbench trains per image data set;
- :mod:`~madbench.features.weights`: where pretrained weights come from, checked by sha256;
- :mod:`~madbench.features.standins`: small random networks in the pretrained ones' file
  formats, for tests and offline machines;
- :mod:`~madbench.features.files`: feature arrays, statistics or image folders from disk.

Runs record a feature space by its name and digest, never by module path.
"""
