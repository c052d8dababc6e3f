"""The pipeline's logic that only some stages run: splitting, derivations, the fitted
steps, the model, metrics and plots, predict's output rules and the gate.

`stages.core` is what every stage runs (params, artifacts, contracts, the engines), so
dvc.yaml lists it as one directory; the modules here are listed one by one, by the stages
that import them, so an edit reruns only those stages.
"""
