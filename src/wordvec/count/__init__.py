"""Count-based models: the co-occurrence matrix, PPMI + SVD, GloVe."""
