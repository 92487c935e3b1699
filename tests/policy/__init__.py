"""The policy rules and the pack, a test module per area as in policy/rules/.

Every class of promise has stacks that break it, each built from what the program really
declares with one crafted change (tests/policy/stacks.py), and stacks that keep it while saying
the same thing another way. The rules must find exactly the promise broken, and the pack, run
over gRPC as `pulumi preview --policy-pack` runs it, must agree with the rules the
credential-free plan runs.
"""

import pytest

# The shared assertions (verdicts, assert_refuses_exactly) report their operands as a test's own do.
pytest.register_assert_rewrite("tests.policy.stacks")
