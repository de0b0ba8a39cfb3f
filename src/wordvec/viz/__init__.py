"""Pictures of word vectors: projections to 2-D/3-D and plots."""
