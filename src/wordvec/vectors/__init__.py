"""Word vectors and their queries (KeyedVectors) and intrinsic evaluation."""
