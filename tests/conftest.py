"""Test settings shared by every test module."""

import os

from hypothesis import settings

# Property tests draw the same examples on every run and every machine: a green run here is a
# green run in CI. Explore new examples on purpose with HYPOTHESIS_PROFILE=explore.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
