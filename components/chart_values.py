"""Where the chart knowledge used to live; components/kubernetes/chart.py holds it now.

Kept only so modules outside this change (components/settings.py) import unchanged until the
settings move into the per-cloud packages.
"""

from components.kubernetes.chart import CREDENTIAL_CHART_KEYS, user_values_problems

__all__ = ["CREDENTIAL_CHART_KEYS", "user_values_problems"]
