"""Test-wide settings."""

from hypothesis import settings

# The property tests check what comes out, not how fast: a per-example deadline fails them at
# random on a busy machine (speed is measured in the benchmarks).
settings.register_profile("likekit", deadline=None)
settings.load_profile("likekit")
