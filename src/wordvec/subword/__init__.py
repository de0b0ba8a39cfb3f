"""Subword vectors (fastText's model, Bojanowski et al. 2017): a word is its own row and the rows
of its character n-grams. So far the n-grams and their rows, exactly as fastText computes them
(``ngrams``); the estimator on the training core comes next (issue #22)."""
