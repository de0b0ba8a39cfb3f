"""Corpus input: streaming readers, the counting scan, the vocabulary, the encoded corpus,
phrases."""
