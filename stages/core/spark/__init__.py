"""The Spark engine's building blocks; the only package that imports pyspark.

`connect` opens a Spark Connect session (SPARK_REMOTE, or the server `make spark-up`
started); `io` writes byte-deterministic Parquet and reads CSV; `split` is the hash split
(its pandas twin is `stages.lib.hash_split`); `fit` learns fill values, categories,
scaling statistics and logistic regression on Spark and stores them in fitted
scikit-learn objects; `score` computes predict_proba on Spark from those objects.
pyspark is an optional dependency (`make spark-setup`): nothing outside this package
imports it, so the default scikit-learn engine never needs it.
"""

import warnings

# pyspark 4.x warns, at import and again when a session starts, that pandas >= 3 (this
# project pins 3.1.1) is "not fully supported". The engine moves data as Arrow tables and
# never through pyspark's pandas conversions, so the warning would only be noise in every
# stage's output.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
