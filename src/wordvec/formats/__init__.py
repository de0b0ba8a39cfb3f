"""File formats, one module each: the native format and what every format shares, the word2vec C
text and binary formats (with GloVe text and the projector's TSV), fastText's .bin."""
