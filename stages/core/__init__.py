"""Pure, importable pipeline logic: params, artifacts, data contracts, transformers, metrics.

Modules here import only what they need at top level so that a stage process pays
only for its own imports (scikit-learn alone costs seconds of start-up).
"""
