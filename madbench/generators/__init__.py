"""Reference generators, one module each; every one honours the adapter contract
(:mod:`madbench.adapters`) and implements the MAD paper's sampling bias lambda."""
