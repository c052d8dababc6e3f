"""What every stage runs: params, artifacts, input contracts, errors, the CLI frame and the
engines (the Spark one included). The logic only some stages run is in `stages.lib`.

Every stage imports every module here (a test checks it), so dvc.yaml lists this folder as
one dependency without losing rerun precision. Modules import only what they need at top
level so that a stage process pays only for its own imports (scikit-learn alone costs
seconds of start-up).
"""
