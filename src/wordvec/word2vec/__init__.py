"""The Word2Vec estimator: its parameters, fit/train/resume, save/load, callbacks and prediction."""
