"""Builders and settings: the pure functions that build policies, Helm values and env.list, and the
stack settings, read and refused, with no program run.
"""
