"""Subword vectors (fastText's model): the estimator on wordvec's training core."""
