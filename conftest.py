"""Repository-wide pytest set-up (tests and the doctests in fastinit/)."""
import os

# Keras 3 needs a backend chosen before it is imported; JAX is the one the
# test extra installs (TensorFlow is not installed).
os.environ.setdefault("KERAS_BACKEND", "jax")
