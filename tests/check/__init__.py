"""The check command: each cloud's client against emulators, its bounds, outputs and the workflows
that run it.
"""
